#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/tensor.h"

// numpy arrays written by pickle.dump / pickle.dumps (the Kinetics-Sounds spectrogram *.pkl
// files), specs/datasets.md §4.2, read without Python and without running anything the file
// names.
//
// A small stack-machine unpickler that knows only what numpy's reduce protocol produces:
// - protocols 2, 3 and 4 (the file must start with PROTO 2..4); protocol 5 is rejected with a
//   hint to re-save with protocol 4: numpy writes protocol-5 arrays through
//   numpy.core.numeric._frombuffer and a BYTEARRAY8 or out-of-band buffer instead;
// - the opcodes PROTO FRAME GLOBAL STACK_GLOBAL SHORT_BINUNICODE BINUNICODE SHORT_BINSTRING
//   BINSTRING SHORT_BINBYTES BINBYTES BINBYTES8 MEMOIZE BINPUT LONG_BINPUT BINGET LONG_BINGET MARK
//   TUPLE TUPLE1 TUPLE2 TUPLE3 EMPTY_TUPLE BININT BININT1 BININT2 LONG1 NONE NEWTRUE NEWFALSE
//   REDUCE BUILD STOP; any other opcode (lists, dicts, floats, ...) is an error;
// - the globals numpy.core.multiarray._reconstruct (numpy < 2) or numpy._core.multiarray.
//   _reconstruct (numpy >= 2), numpy.ndarray, numpy.dtype and _codecs.encode (how protocol 2
//   stores bytes: latin-1 text); GLOBAL or STACK_GLOBAL of anything else is an error
//   ("refusing to call os.system") before anything is called;
// - Python 2's pickles of numpy arrays (the payload as a str: SHORT_BINSTRING / BINSTRING).
// Element types as read_npy (numpy_dtype.h): f2/f4 -> float32, f8 -> float64, u1 -> uint8,
// b1 -> bool, i1..i8 -> int64. Byte order '<', '|', '>' (byte-swapped) and '=', which in a pickle
// means the reading machine's order (numpy.dtype is rebuilt on the reader; never written by
// numpy itself, which pickles '=' as '<' or '>'). Fortran-ordered arrays (is_fortran True) are
// converted to C order. As in Python, bytes after the STOP opcode are ignored.
namespace mg::data {

// Parses a pickled numpy array held in memory into a contiguous CPU tensor. Every error is an
// mg::Error that starts with `source_name` and, for a malformed pickle, gives the byte offset
// and the opcode: "a.pkl: byte offset 142, opcode BUILD: ...".
Tensor parse_pickled_array(std::span<const std::uint8_t> bytes, const std::string& source_name);

// read_file_bytes + parse_pickled_array.
Tensor read_pickled_array(const std::string& path);

}  // namespace mg::data

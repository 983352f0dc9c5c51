#!/usr/bin/env python3
"""Writes the pickled-array fixtures of tests/datasets/pickle_test.cpp into tests/fixtures/pickle/:

    /usr/bin/python3 tools/reference/pickles.py tests/fixtures/pickle

(Debian's python3 with numpy; numpy 1.24.2 and Python 3.11 wrote the committed files.)

<name>.<variant>.pkl holds the array whose expected value is <name>.npy (written by np.save, C
order, little-endian). Variants:
  p2, p3, p4        pickle.dumps(array, protocol=N)
  p4_frames         protocol 4 by the pure-Python pickler with a 4 KiB frame target, so that the
                    payload lies outside the first frame with a second frame after it: the layout
                    pickle gives a 1 MB KS spectrogram (the C pickler's target is 64 KiB)
  p2_numpy2, p4_numpy2  the p2 / p4 bytes with the module renamed to numpy._core.multiarray, as
                    numpy >= 2.0 writes it (lengths fixed up; byte-identical to what numpy
                    2.4.6 wrote for the same array)
  py2               protocol 2 as Python 2's numpy writes it: str (SHORT_BINSTRING / BINSTRING)
                    for the type codes and the payload instead of _codecs.encode
Files the reader must reject: f32_3x4.p5.pkl (protocol 5: numpy's out-of-band _frombuffer
form), hostile_os_system.p2.pkl (GLOBAL os.system + REDUCE), hostile_builtins_eval.p4.pkl
(STACK_GLOBAL builtins.eval + REDUCE), dict_of_array.p4.pkl and list.p4.pkl (not arrays).

This module is imported by tools/make_reference.py with the other reference modules; it
registers no case and only writes files when run as a script.
"""

import io
import os
import pickle
import pickletools
import struct
import sys

import numpy as np


def arrays():
    rng = np.random.default_rng(0)
    spectrogram = rng.standard_normal((257, 8)).astype(np.float32)
    spectrogram = (spectrogram - spectrogram.mean()) / (spectrogram.std() + 1e-9)
    return {
        "f32_3x4": np.linspace(-1.5, 2.25, 12, dtype=np.float32).reshape(3, 4),
        "ks_257x8": spectrogram.astype(np.float32),
        "f32_8x10": rng.standard_normal((8, 10)).astype(np.float32),
        "f64_2x3": np.array([[1.0, -2.5, 3e300], [-0.0, 1e-310, 0.1]], dtype=np.float64),
        "i16_5": np.array([-32768, -1, 0, 1, 32767], dtype=np.int16),
        "i64_2x2": np.array([[1 << 40, -1], [-(1 << 62), 7]], dtype=np.int64),
        "u8_4": np.array([0, 1, 128, 255], dtype=np.uint8),
        "bool_3": np.array([True, False, True]),
        "f32be_2x3": np.arange(-2, 4, dtype=">f4").reshape(2, 3) / 4,
        "f64_fortran_2x3x4": np.asfortranarray(np.arange(24, dtype=np.float64).reshape(2, 3, 4)),
        "f64_scalar": np.array(4.25),
        "f32_empty_0x3": np.zeros((0, 3), dtype=np.float32),
    }


# Which variants each array is written in.
VARIANTS = {
    "f32_3x4": ["p2", "p3", "p4", "p2_numpy2", "p4_numpy2"],
    "ks_257x8": ["p2", "p3", "p4_frames"],
    "f32_8x10": ["py2"],
    "f64_2x3": ["p4"],
    "i16_5": ["p4"],
    "i64_2x2": ["p2"],
    "u8_4": ["p3"],
    "bool_3": ["p4"],
    "f32be_2x3": ["p4"],
    "f64_fortran_2x3x4": ["p4", "p2"],
    "f64_scalar": ["p4"],
    "f32_empty_0x3": ["p4"],
}


def framed_pickle(array):
    """Protocol 4 from the pure-Python pickler with a small frame target."""
    saved = pickle._Framer._FRAME_SIZE_TARGET
    pickle._Framer._FRAME_SIZE_TARGET = 4096
    try:
        out = io.BytesIO()
        pickle._Pickler(out, protocol=4).dump(array)
        return out.getvalue()
    finally:
        pickle._Framer._FRAME_SIZE_TARGET = saved


def rename_to_numpy2(data):
    """Renames numpy.core.multiarray to numpy._core.multiarray in a protocol 2 or 4 pickle."""
    old, new = b"numpy.core.multiarray", b"numpy._core.multiarray"
    if data[1] == 2:  # GLOBAL: newline-terminated text, no length
        assert data.count(b"c" + old + b"\n") == 1
        return data.replace(b"c" + old + b"\n", b"c" + new + b"\n")
    # SHORT_BINUNICODE inside the first FRAME: fix its length byte and the frame's length.
    assert data[1] == 4 and data[2:3] == b"\x95"
    short = b"\x8c" + bytes([len(old)]) + old
    assert data.count(short) == 1
    frame_length = struct.unpack("<Q", data[3:11])[0] + len(new) - len(old)
    data = data[:3] + struct.pack("<Q", frame_length) + data[11:]
    return data.replace(short, b"\x8c" + bytes([len(new)]) + new)


def python2_pickle(array):
    """What Python 2's numpy writes with protocol 2: str (bytes) for 'b', the type codes and the
    payload, bools as NEWTRUE/NEWFALSE, a BINPUT after each object."""
    memo = [0]

    def put():
        memo[0] += 1
        return b"q" + bytes([memo[0] - 1])

    def string(raw):
        if len(raw) < 256:
            return b"U" + bytes([len(raw)]) + raw + put()
        return b"T" + struct.pack("<i", len(raw)) + raw + put()

    def integer(value):
        assert 0 <= value < 256
        return b"K" + bytes([value])

    assert array.ndim == 2 and array.flags.c_contiguous
    dtype = array.dtype
    out = b"\x80\x02"
    out += b"cnumpy.core.multiarray\n_reconstruct\n" + put()
    out += b"cnumpy\nndarray\n" + put()
    out += integer(0) + b"\x85" + put() + string(b"b") + b"\x87" + put() + b"R" + put()
    out += b"(" + integer(1) + integer(array.shape[0]) + integer(array.shape[1]) + b"\x86" + put()
    out += b"cnumpy\ndtype\n" + put() + string(dtype.str[1:].encode()) + b"\x89\x88\x87" + put()
    out += b"R" + put()
    out += b"(" + integer(3) + string(dtype.str[:1].encode()) + b"NNN"
    out += b"J" + struct.pack("<i", -1) + b"J" + struct.pack("<i", -1) + integer(0) + b"t" + put()
    out += b"b\x89" + string(array.tobytes()) + b"t" + put() + b"b."
    return out


class Eval:
    def __reduce__(self):
        return (eval, ("1 + 1",))


def expect_loads(data, array):
    """Loads `data` with the C and the pure-Python unpickler (which, unlike the C one, checks
    that no opcode crosses a frame's end), reading numpy._core as numpy.core."""
    for base in (pickle.Unpickler, pickle._Unpickler):

        class NumpyTwo(base):
            def find_class(self, module, name):
                return base.find_class(self, module.replace("numpy._core", "numpy.core"), name)

        loaded = NumpyTwo(io.BytesIO(data), encoding="latin1").load()
        assert loaded.dtype == array.dtype and loaded.shape == array.shape, (loaded, array)
        assert np.array_equal(loaded, array), (loaded, array)


def write(directory, name, data):
    pickletools.dis(data, out=io.StringIO())  # a well-formed opcode stream
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def main(directory):
    os.makedirs(directory, exist_ok=True)
    for name, array in arrays().items():
        # (np.ascontiguousarray would make the 0-d array 1-d.)
        expected = array.astype(array.dtype.newbyteorder("<"), order="C")
        np.save(os.path.join(directory, name + ".npy"), expected)
        for variant in VARIANTS[name]:
            if variant == "p4_frames":
                data = framed_pickle(array)
            elif variant.endswith("_numpy2"):
                data = rename_to_numpy2(pickle.dumps(array, protocol=int(variant[1])))
            elif variant == "py2":
                data = python2_pickle(array)
            else:
                data = pickle.dumps(array, protocol=int(variant[1:]))
            expect_loads(data, array)
            write(directory, f"{name}.{variant}.pkl", data)

    write(directory, "f32_3x4.p5.pkl", pickle.dumps(arrays()["f32_3x4"], protocol=5))
    command = b"echo a pickle fixture ran os.system"
    os_system = b"\x80\x02cos\nsystem\nX" + struct.pack("<I", len(command)) + command + b"\x85R."
    write(directory, "hostile_os_system.p2.pkl", os_system)
    write(directory, "hostile_builtins_eval.p4.pkl", pickle.dumps(Eval(), protocol=4))
    write(directory, "dict_of_array.p4.pkl",
          pickle.dumps({"spectrogram": arrays()["f32_3x4"]}, protocol=4))
    write(directory, "list.p4.pkl", pickle.dumps([1, 2, 3], protocol=4))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])

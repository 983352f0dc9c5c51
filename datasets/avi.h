#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/tensor.h"

// Motion-JPEG in AVI (specs/datasets.md §4.6), the NVGesture videos' container.
//
// An AVI is a RIFF file: "RIFF" <size> "AVI ", then chunks (4-byte id, 4-byte little-endian size,
// data padded to an even length); a "LIST" chunk holds a 4-byte list type and more chunks. The
// reader walks:
//   RIFF 'AVI '
//     LIST 'hdrl': 'avih', then one LIST 'strl' per stream ('strh' with the stream type, 'strf'
//                  with the format: for video a BITMAPINFOHEADER whose biCompression is the codec)
//     LIST 'movi': the data chunks, '##dc' (compressed video) per frame of stream ##, possibly
//                  grouped in LIST 'rec ' chunks
//     'idx1' (optional)
//   RIFF 'AVIX' ... (OpenDML continuation for files over 1 GB: more LIST 'movi' chunks)
// Rules:
// - The video stream is the first stream whose 'strh' type is 'vids'; its compression must be
//   MJPG or JPEG (any case), else the file is rejected naming the codec. Its frames are the
//   chunks '##dc' and '##db' with ## its stream number in two decimal digits: some writers label
//   MJPEG frames 'db' (uncompressed), and the payload is checked when decoded anyway. Chunks of
//   other streams (audio '01wb', ...), 'JUNK', 'ix##' (OpenDML indexes) are skipped.
// - Frames come in file order (= stream order); the index ('idx1', 'indx') is not needed and not
//   read. A zero-length frame chunk (a dropped frame in Video for Windows) is kept as an empty
//   frame so frame numbers stay those of the stream; decoding it fails.
// - Every chunk size is checked against the bytes left in its parent: a truncated file is an
//   error naming the chunk and its byte offset. A last chunk may lack its pad byte. Bytes after
//   the RIFF chunks that do not form another 'RIFF' 'AVIX' chunk are ignored.
namespace mg::data {

// The JPEG frames of an MJPEG AVI, in stream order, undecoded. `source_name` (a path, or
// "<bytes>") starts every error message.
std::vector<std::vector<std::uint8_t>> parse_mjpeg_avi(std::span<const std::uint8_t> bytes,
                                                       const std::string& source_name);

// read_file_bytes + parse_mjpeg_avi + decode_image of each frame: uint8 [H, W, 3] each. A frame
// that fails to decode throws mg::Error naming the path and the frame number (0-based).
std::vector<Tensor> read_mjpeg_avi(const std::string& path);

// An MJPEG AVI holding `frames_jpeg` (each a complete JPEG of width × height pixels, not decoded
// here) at `fps` frames per second, as OpenCV's and FFmpeg's writers lay it out: 'hdrl' with
// 'avih' and one video stream (handler and compression 'MJPG', 24 bits per pixel), 'movi' with one
// '00dc' chunk per frame, and an 'idx1' index (offsets relative to the 'movi' list type, every
// frame a key frame). The frame rate is stored as the fraction round(fps · 1000) / 1000 reduced.
// Readable by FFmpeg and OpenCV; at most 4 GiB in all (no OpenDML).
std::vector<std::uint8_t> mjpeg_avi_bytes(const std::vector<std::vector<std::uint8_t>>& frames_jpeg,
                                          int width, int height, double fps);

// Writes mjpeg_avi_bytes(...) to `path` through a temporary file (write_file_bytes).
void write_mjpeg_avi(const std::string& path,
                     const std::vector<std::vector<std::uint8_t>>& frames_jpeg, int width,
                     int height, double fps);

}  // namespace mg::data

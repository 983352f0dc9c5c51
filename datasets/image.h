#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/tensor.h"

// Image files through stb_image / stb_image_write (Debian's libstb-dev, compiled into this
// library by datasets/stb_image_impl.cpp).
//
// Decoding: JPEG (baseline and progressive, 8-bit), PNG (every colour type, 1 to 16 bits,
// interlaced), GIF (the first frame) and BMP (uncompressed). Every image becomes uint8 RGB, as
// PIL's convert("RGB") that the reference code applies after opening (specs/datasets.md §3.1):
// - grey is copied into the three channels; alpha (RGBA, grey+alpha, palette transparency) is
//   dropped, not composited;
// - 16-bit PNG samples keep their high byte (v >> 8), which is what PIL gives for 16-bit RGB(A)
//   PNGs. For 16-bit grey PNGs PIL's convert("RGB") instead clips the 16-bit value at 255; that
//   quirk is not reproduced.
// - CMYK JPEGs with an Adobe APP14 marker (what Photoshop and PIL write: inverted CMYK) become
//   R = C'·K'/255 for the stored C', K' (likewise G, B), which equals PIL's CMYK → RGB (within 1
//   level on the fixture). Adobe YCCK JPEGs follow stb_image's rule (YCbCr → RGB, inverted, times
//   K; not compared with PIL, which cannot write them). A 4-component JPEG without the Adobe
//   marker is read as YCbCr with the fourth channel ignored (stb_image's choice; PIL would read it
//   as non-inverted CMYK, so the colours differ). Such files are rare.
// - JPEG pixels differ from libjpeg's (PIL's) by a few levels: stb_image has its own IDCT and
//   chroma upsampling.
//
// Robustness: input is untrusted. Before stb_image runs, the decoder rejects images whose header
// claims more than 2^28 pixels, or more pixels than the file could encode (more than 2^14 per
// byte; the densest real encodings, deflate in 1-bit PNG and LZW in GIF, stay below 2^13), so a
// forged header cannot make it allocate gigabytes. Zero-sized images are rejected too. JPEG
// segments and PNG chunks are walked first, GIFs must end with their trailer byte and BMPs must
// hold the pixel rows their header announces: this rejects truncated files (which stb_image would
// partly decode) and what stb_image 2.27 mishandles (datasets/stb_guards.h). Every error is an
// mg::Error whose message starts with the source name and includes stb_image's failure reason when
// it comes from stb_image. Safe to call from several threads at once.
namespace mg::data {

// Decoded image as a uint8 [H, W, 3] RGB tensor (HWC), what to_tensor() in transforms.h takes.
Tensor decode_image(std::span<const std::uint8_t> bytes, const std::string& source_name);

// read_file_bytes + decode_image.
Tensor read_image(const std::string& path);

// Encoders (fixtures, the embedded data) for uint8 [H, W, 3] RGB, [H, W, 1] or [H, W] grey, on any
// device and with any strides. JPEG: baseline, quality 1..100; 4:2:0 chroma subsampling up to
// quality 90, 4:4:4 above (stb_image_write's rule); grey images are written as three equal
// components. PNG: 8-bit grey or RGB, lossless.
std::vector<std::uint8_t> encode_jpeg(const Tensor& image, int quality = 90);
std::vector<std::uint8_t> encode_png(const Tensor& image);

// Writes encode_jpeg(image) (extension .jpg or .jpeg, quality 90) or encode_png(image) (.png),
// extensions in any case, through a temporary file in the same folder that is renamed over
// `path`: no reader ever sees a half-written file. Errors name the path.
void write_image(const std::string& path, const Tensor& image);

}  // namespace mg::data

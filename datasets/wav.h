#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

// RIFF/WAVE audio: a "RIFF" <size> "WAVE" header, then chunks (4-byte id, 4-byte little-endian
// size, data padded to an even length). The "fmt " and "data" chunks may come in either order;
// every other chunk (LIST, fact, cue, ...) is skipped. The RIFF size field is not trusted (many
// writers leave it wrong); the chunk sizes are.
//
// Formats: integer PCM of 8 (unsigned), 16, 24 or 32 bits and IEEE float of 32 or 64 bits, as
// format tag 1 (PCM), 3 (IEEE float) or 0xFFFE (WAVE_FORMAT_EXTENSIBLE, whose SubFormat GUID
// names PCM or IEEE float). Integer samples are divided by 2^(bits-1) (8-bit ones first have 128
// subtracted), so they lie in [-1, 1) (except that 32-bit values within 2^-25 of full scale round
// to 1.0 in float32); float samples are kept as they are. Channels are averaged into one (librosa's
// mono=True).
namespace mg::data {

struct WavAudio {
  std::vector<float> samples;  // mono, one per frame
  std::int64_t sample_rate = 0;
};

// Parses a whole .wav file held in memory; `source_name` (a path, or "<bytes>") starts every
// error message, followed by what is wrong. A sample rate outside [1 kHz, 1 MHz] is an error.
WavAudio parse_wav(std::span<const std::uint8_t> bytes, const std::string& source_name);

// read_file_bytes + parse_wav.
WavAudio read_wav(const std::string& path);

}  // namespace mg::data

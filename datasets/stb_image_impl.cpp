// The implementation of stb_image (decoding) and stb_image_write (encoding), compiled here as
// part of mg_datasets so that the sanitizer build instruments it too. datasets/image.cpp is the
// only user; it includes the headers for their declarations.
//
// - Formats: JPEG, PNG, GIF and BMP only. The others stb_image knows are left out: TGA has no
//   magic number (garbage can pass for one), and PSD, HDR, PIC and PNM are not needed.
// - No stdio: everything is decoded from and encoded to memory.
// - The failure reason is thread-local (STBI_THREAD_LOCAL, which the header defines itself in
//   C++ from stb_image 2.26 on; CMakeLists.txt refuses an older header): DataLoader workers
//   decode in parallel and each must read its own reason.
#define STBI_THREAD_LOCAL thread_local
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_GIF
#define STBI_ONLY_BMP
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

#define STBI_WRITE_NO_STDIO
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

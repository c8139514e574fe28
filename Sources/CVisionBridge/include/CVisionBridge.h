// A plain C API over the few OpenCV functions EdControl uses: running an ONNX network
// with OpenCV's dnn module, and Haar cascade face detection (the baseline detector).
// Every function catches C++ exceptions and reports them through `error`.
#ifndef EDC_VISION_BRIDGE_H
#define EDC_VISION_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct EdcNet EdcNet;

/// Loads an ONNX model; NULL on failure, with the reason in `error`.
EdcNet *edc_net_load_onnx(const char *path, char *error, size_t error_capacity);
void edc_net_free(EdcNet *net);

/// Number of outputs the network produces (its unconnected output layers).
int edc_net_output_count(const EdcNet *net);

/// Name of output `index` (valid while the network lives).
const char *edc_net_output_name(const EdcNet *net, int index);

/// Runs the network on a float tensor `input` of `dims` dimensions `shape[0..dims-1]`
/// (NCHW for images; batch × channels × samples for audio).
/// Output i (in the network's output order) is copied to `outputs[i]`, which holds
/// `capacities[i]` floats; `sizes[i]` receives its element count.
/// Returns 0, or -1 with the reason in `error` (including an output too large for its buffer).
int edc_net_forward(EdcNet *net, const float *input, const int *shape, int dims,
                    int output_count, float *const *outputs, const size_t *capacities, size_t *sizes,
                    char *error, size_t error_capacity);

/// How a picture's bytes are laid out.
typedef enum EdcPixelLayout {
    /// Packed 8-bit RGB, rows of `width * 3` bytes.
    EDC_PIXELS_RGB24 = 0,
    /// Planar YUV 4:2:0 as ffmpeg's yuv420p writes it (Y, then U, then V; even sizes; BT.601,
    /// limited range).
    EDC_PIXELS_I420 = 1,
} EdcPixelLayout;

/// Writes the square region `roi` (it may reach outside the picture; outside is black) of
/// an 8-bit picture, resized to `size`×`size`, as planar floats `pixel * scale + shift`:
/// 3 planes (R, G, B), or 1 grey plane (BT.601 luma, 0–255) when `gray` is non-zero.
/// Returns 0, or -1 with the reason in `error`.
int edc_crop_to_planes(const uint8_t *pixels, EdcPixelLayout layout, int width, int height,
                       int roi_x, int roi_y, int roi_side, int size, int gray, float scale, float shift,
                       float *planes, char *error, size_t error_capacity);

/// Converts a planar YUV 4:2:0 picture (ffmpeg's yuv420p: Y, then U, then V; even sizes)
/// to packed 8-bit RGB. Returns 0, or -1 with the reason in `error`.
int edc_i420_to_rgb(const uint8_t *yuv, int width, int height, uint8_t *rgb, char *error, size_t error_capacity);

typedef struct EdcCascade EdcCascade;

typedef struct EdcRect {
    int32_t x, y, width, height;
} EdcRect;

EdcCascade *edc_cascade_load(const char *path, char *error, size_t error_capacity);
void edc_cascade_free(EdcCascade *cascade);

/// Detects objects in an 8-bit grey image (rows `stride` bytes apart) no smaller than
/// `min_size` pixels. Writes up to `capacity` rectangles; returns how many were found
/// (possibly more than `capacity`), or -1 with the reason in `error`.
int edc_cascade_detect(EdcCascade *cascade, const uint8_t *gray, int width, int height, int stride,
                       int min_size, EdcRect *rects, int capacity, char *error, size_t error_capacity);

#ifdef __cplusplus
}
#endif

#endif

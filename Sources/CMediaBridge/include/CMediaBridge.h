// A plain C API over the FFmpeg libraries (libavformat, libavcodec, libavfilter) for what
// EdControl does with video in-process: find key frames, and sample a video stream through a
// filter graph, frame by frame. Each call reports failure through `error`.
#ifndef EDC_MEDIA_BRIDGE_H
#define EDC_MEDIA_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The name of the libavformat demuxer that would read `path` (e.g. "mov,mp4,m4a,3gp,3g2,mj2",
/// "hls"), guessed from its first bytes and name without opening the demuxer, into `name`.
/// Returns 0, or -1 with the reason in `error` when the file cannot be read or is of no
/// format FFmpeg knows.
int edc_media_format(const char *path, char *name, size_t name_capacity, char *error, size_t error_capacity);

/// Every function below opens `path` through the `file` protocol only and with a demuxer
/// named in `allowed_formats` (comma separated), and fails for anything else.

/// For each of the `count` times (seconds from the file's start time), the time of the key
/// frame a seek to it lands on in the first video stream (at or before it), in `key_times`
/// (NaN where the seek fails or lands on no key frame). Returns 0, or -1 with the reason in
/// `error` when the file cannot be opened or has no video.
int edc_video_key_frames(const char *path, const char *allowed_formats, const double *times, int count, double *key_times,
                         char *error, size_t error_capacity);

typedef struct EdcVideoSampler EdcVideoSampler;

/// Opens the first video stream of `path` (attached cover pictures aside) and prepares to
/// pass its frames through `filters` (libavfilter's syntax), after turning them upright as the stream's display matrix says.
/// Decoding starts at `start` seconds after the file's start time, which should be a key
/// frame's time (0: the beginning); frame times count from there.
/// `threads` is the decoder's thread count (0: as many as suit the machine).
/// `skip_nonreference` skips decoding frames no other frame refers to (B-frames) and the
/// deblocking filter. Returns NULL with the reason in `error`.
EdcVideoSampler *edc_video_sampler_open(const char *path, const char *allowed_formats, double start, const char *filters, int threads,
                                        int skip_nonreference, char *error, size_t error_capacity);

/// Writes the next filtered frame, packed (planes one after another, rows unpadded), into
/// `picture` of `capacity` bytes, and its time in seconds since the start into `seconds`.
/// Damaged frames are skipped, as ffmpeg's command line does. Returns 1, 0 when the
/// stream has ended, or -1 with the reason in `error` (including a frame of another size
/// than `capacity`).
int edc_video_sampler_next(EdcVideoSampler *sampler, uint8_t *picture, size_t capacity, double *seconds,
                           char *error, size_t error_capacity);

void edc_video_sampler_close(EdcVideoSampler *sampler);

#ifdef __cplusplus
}
#endif

#endif

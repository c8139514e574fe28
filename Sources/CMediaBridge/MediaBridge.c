#include "CMediaBridge.h"

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void set_error(char *error, size_t capacity, const char *format, ...) {
    if (error == NULL || capacity == 0) return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error, capacity, format, arguments);
    va_end(arguments);
}

static void set_av_error(char *error, size_t capacity, const char *doing, int code) {
    char reason[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(code, reason, sizeof reason);
    set_error(error, capacity, "%s: %s", doing, reason);
}

/// The first video stream that is not a cover picture, or -1; every other stream is
/// discarded, so the demuxer skips their packets.
static int select_video_stream(AVFormatContext *format) {
    int selected = -1;
    for (unsigned i = 0; i < format->nb_streams; i++) {
        AVStream *stream = format->streams[i];
        if (selected < 0 && stream->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
            !(stream->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
            selected = (int)i;
        } else {
            stream->discard = AVDISCARD_ALL;
        }
    }
    return selected;
}

/// FFmpeg's libraries log to standard error; failures reach the caller through `error`
/// instead, and warnings such as a damaged frame's are no business of the user's.
static void quiet_logging(void) { av_log_set_level(AV_LOG_QUIET); }

/// Opens `path` as media of one of the `allowed_formats` (libavformat demuxer names, comma
/// separated) through the `file` protocol only: a playlist, a concat list or a manifest
/// would otherwise make the demuxer open other files or URLs named inside the upload.
static int open_media(AVFormatContext **format, const char *path, const char *allowed_formats) {
    AVDictionary *options = NULL;
    av_dict_set(&options, "protocol_whitelist", "file", 0);
    av_dict_set(&options, "format_whitelist", allowed_formats, 0);
    int status = avformat_open_input(format, path, NULL, &options);
    av_dict_free(&options);
    return status;
}

int edc_media_format(const char *path, char *name, size_t name_capacity, char *error, size_t error_capacity) {
    quiet_logging();
    AVDictionary *options = NULL;
    av_dict_set(&options, "protocol_whitelist", "file", 0);
    AVIOContext *input = NULL;
    int status = avio_open2(&input, path, AVIO_FLAG_READ, NULL, &options);
    av_dict_free(&options);
    if (status < 0) {
        set_av_error(error, error_capacity, "cannot open it", status);
        return -1;
    }
    // Guessing reads the first bytes only; no demuxer is opened, so nothing the file names is read.
    const AVInputFormat *detected = NULL;
    status = av_probe_input_buffer2(input, &detected, path, NULL, 0, 0);
    avio_closep(&input);
    if (status < 0 || detected == NULL) {
        set_av_error(error, error_capacity, "not a known media format", status < 0 ? status : AVERROR_INVALIDDATA);
        return -1;
    }
    snprintf(name, name_capacity, "%s", detected->name);
    return 0;
}

static int64_t file_start_microseconds(const AVFormatContext *format) {
    return format->start_time == AV_NOPTS_VALUE ? 0 : format->start_time;
}

int edc_video_key_frames(const char *path, const char *allowed_formats, const double *times, int count, double *key_times,
                         char *error, size_t error_capacity) {
    quiet_logging();
    AVFormatContext *format = NULL;
    int status = open_media(&format, path, allowed_formats);
    if (status < 0) {
        set_av_error(error, error_capacity, "cannot open it", status);
        return -1;
    }
    int result = -1;
    AVPacket *packet = av_packet_alloc();
    int index = select_video_stream(format);
    if (index < 0) {
        set_error(error, error_capacity, "it holds no video stream");
        goto done;
    }
    AVStream *stream = format->streams[index];
    int64_t start = file_start_microseconds(format);
    for (int i = 0; i < count; i++) {
        key_times[i] = NAN;
        int64_t target = start + llround(times[i] * AV_TIME_BASE);
        if (avformat_seek_file(format, -1, INT64_MIN, target, target, 0) < 0) continue;  // a format that cannot seek
        // The first packet of the stream after the seek is the key frame it landed on.
        int found = 0;
        while (!found && av_read_frame(format, packet) >= 0) {
            if (packet->stream_index == index) {
                found = 1;
                int64_t time = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
                if ((packet->flags & AV_PKT_FLAG_KEY) && time != AV_NOPTS_VALUE) {
                    key_times[i] = (double)time * av_q2d(stream->time_base) - (double)start / AV_TIME_BASE;
                }
            }
            av_packet_unref(packet);
        }
    }
    result = 0;
done:
    av_packet_free(&packet);
    avformat_close_input(&format);
    return result;
}

struct EdcVideoSampler {
    AVFormatContext *format;
    AVCodecContext *decoder;
    AVFilterGraph *graph;
    AVFilterContext *source, *sink;
    AVPacket *packet;
    AVFrame *decoded, *filtered;
    int stream;
    /// Frames before this time (stream time base) are dropped; frame times count from it.
    int64_t origin;
    /// When the last frame given to the filters ends (counted from `origin`): the filters'
    /// end, so the `fps` filter knows how long the last frame lasts (a single picture too).
    int64_t end;
    char *filters;
    int input_ended, decoder_ended;
    /// Decoding errors since the last good frame: many in a row mean nothing more will come.
    int errors_in_a_row;
};

void edc_video_sampler_close(EdcVideoSampler *sampler) {
    if (sampler == NULL) return;
    avfilter_graph_free(&sampler->graph);
    av_frame_free(&sampler->decoded);
    av_frame_free(&sampler->filtered);
    av_packet_free(&sampler->packet);
    avcodec_free_context(&sampler->decoder);
    avformat_close_input(&sampler->format);
    av_free(sampler->filters);
    av_free(sampler);
}

/// The filters that turn the picture upright, as ffmpeg's command line inserts them
/// (ffmpeg 5.1, fftools/ffmpeg_filter.c), or "" when it is upright already.
static void upright_filters(const AVStream *stream, char *text, size_t capacity) {
    const int32_t *matrix = (const int32_t *)av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    text[0] = '\0';
    if (matrix == NULL) return;
    double theta = -round(av_display_rotation_get(matrix));
    theta -= 360 * floor(theta / 360 + 0.9 / 360);
    if (fabs(theta - 90) < 1.0) {
        snprintf(text, capacity, "%s,", matrix[3] > 0 ? "transpose=cclock_flip" : "transpose=clock");
    } else if (fabs(theta - 180) < 1.0) {
        snprintf(text, capacity, "hflip,vflip,");
    } else if (fabs(theta - 270) < 1.0) {
        snprintf(text, capacity, "transpose=cclock,");
    } else if (fabs(theta) > 1.0) {
        snprintf(text, capacity, "rotate=%f*PI/180,", theta);
    }
}

/// Builds the filter graph for the first decoded frame's size and pixel format.
static int configure_filters(EdcVideoSampler *sampler, const AVFrame *frame, char *error, size_t error_capacity) {
    AVStream *stream = sampler->format->streams[sampler->stream];
    char source_arguments[256];
    snprintf(source_arguments, sizeof source_arguments, "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d",
             frame->width, frame->height, frame->format, stream->time_base.num, stream->time_base.den,
             frame->sample_aspect_ratio.num, frame->sample_aspect_ratio.den > 0 ? frame->sample_aspect_ratio.den : 1);
    sampler->graph = avfilter_graph_alloc();
    // The filters are light; threads of their own would only wait.
    sampler->graph->nb_threads = 1;
    int status = avfilter_graph_create_filter(&sampler->source, avfilter_get_by_name("buffer"), "in", source_arguments, NULL, sampler->graph);
    if (status >= 0) status = avfilter_graph_create_filter(&sampler->sink, avfilter_get_by_name("buffersink"), "out", NULL, NULL, sampler->graph);
    if (status < 0) {
        set_av_error(error, error_capacity, "cannot set up the video filters", status);
        return -1;
    }
    char upright[64];
    upright_filters(stream, upright, sizeof upright);
    size_t length = strlen(upright) + strlen(sampler->filters) + 1;
    char *description = av_malloc(length);
    snprintf(description, length, "%s%s", upright, sampler->filters);
    AVFilterInOut *outputs = avfilter_inout_alloc(), *inputs = avfilter_inout_alloc();
    outputs->name = av_strdup("in");
    outputs->filter_ctx = sampler->source;
    inputs->name = av_strdup("out");
    inputs->filter_ctx = sampler->sink;
    status = avfilter_graph_parse_ptr(sampler->graph, description, &inputs, &outputs, NULL);
    if (status >= 0) status = avfilter_graph_config(sampler->graph, NULL);
    avfilter_inout_free(&inputs);
    avfilter_inout_free(&outputs);
    if (status < 0) {
        set_av_error(error, error_capacity, "the video filters do not work", status);
        set_error(error + strlen(error), error_capacity - strlen(error), " (%s)", description);
    }
    av_free(description);
    return status < 0 ? -1 : 0;
}

EdcVideoSampler *edc_video_sampler_open(const char *path, const char *allowed_formats, double start, const char *filters, int threads,
                                        int skip_nonreference, char *error, size_t error_capacity) {
    quiet_logging();
    EdcVideoSampler *sampler = av_mallocz(sizeof *sampler);
    sampler->filters = av_strdup(filters);
    sampler->packet = av_packet_alloc();
    sampler->decoded = av_frame_alloc();
    sampler->filtered = av_frame_alloc();
    int status = open_media(&sampler->format, path, allowed_formats);
    if (status < 0) {
        set_av_error(error, error_capacity, "cannot open it", status);
        goto failed;
    }
    // The other streams are discarded first, so working out the stream's parameters reads
    // and decodes only the video.
    sampler->stream = select_video_stream(sampler->format);
    if (sampler->stream < 0) {
        set_error(error, error_capacity, "it holds no video stream");
        goto failed;
    }
    status = avformat_find_stream_info(sampler->format, NULL);
    if (status < 0) {
        set_av_error(error, error_capacity, "cannot read its streams", status);
        goto failed;
    }
    AVStream *stream = sampler->format->streams[sampler->stream];
    const AVCodec *codec = avcodec_find_decoder(stream->codecpar->codec_id);
    if (codec == NULL) {
        set_error(error, error_capacity, "no decoder for its video codec (%s)", avcodec_get_name(stream->codecpar->codec_id));
        goto failed;
    }
    sampler->decoder = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(sampler->decoder, stream->codecpar);
    sampler->decoder->pkt_timebase = stream->time_base;
    sampler->decoder->thread_count = threads;
    if (skip_nonreference) {
        sampler->decoder->skip_frame = AVDISCARD_BIDIR;
        sampler->decoder->skip_loop_filter = AVDISCARD_ALL;
    }
    status = avcodec_open2(sampler->decoder, codec, NULL);
    if (status < 0) {
        set_av_error(error, error_capacity, "cannot open the video decoder", status);
        goto failed;
    }
    int64_t origin = file_start_microseconds(sampler->format) + llround(start * AV_TIME_BASE);
    sampler->origin = av_rescale_q(origin, AV_TIME_BASE_Q, stream->time_base);
    if (start > 0) {
        // As ffmpeg's -ss does: where seeking goes by decoding order, land a little earlier so
        // the frame shown at `start` is decoded; frames before it are dropped.
        int64_t target = origin;
        if (!(sampler->format->iformat->flags & AVFMT_SEEK_TO_PTS) && stream->codecpar->video_delay) target -= 3 * AV_TIME_BASE / 23;
        status = avformat_seek_file(sampler->format, -1, INT64_MIN, target, target, 0);
        if (status < 0) {
            set_av_error(error, error_capacity, "cannot seek", status);
            goto failed;
        }
    }
    return sampler;
failed:
    edc_video_sampler_close(sampler);
    return NULL;
}

/// How long a decoded frame lasts, in the stream's time base: as its packet says, or else
/// one period of the stream's frame rate (as ffmpeg's command line counts it).
static int64_t frame_duration(const EdcVideoSampler *sampler, const AVFrame *frame) {
#if LIBAVUTIL_VERSION_MAJOR >= 58
    int64_t duration = frame->duration;
#else
    int64_t duration = frame->pkt_duration;
#endif
    AVRational rate = sampler->decoder->framerate;
    if (duration <= 0 && rate.num > 0 && rate.den > 0) {
        duration = av_rescale_q(1, av_inv_q(rate), sampler->format->streams[sampler->stream]->time_base);
    }
    return duration > 0 ? duration : 0;
}

/// Feeds the filter graph one more decoded frame, or its end. Returns 0, or -1 on failure.
static int feed_filters(EdcVideoSampler *sampler, char *error, size_t error_capacity) {
    for (;;) {
        int status = avcodec_receive_frame(sampler->decoder, sampler->decoded);
        if (status == 0) {
            sampler->errors_in_a_row = 0;
            AVFrame *frame = sampler->decoded;
            int64_t time = frame->best_effort_timestamp;
            if (time == AV_NOPTS_VALUE || time < sampler->origin) {
                av_frame_unref(frame);
                continue;
            }
            frame->pts = time - sampler->origin;
            sampler->end = frame->pts + frame_duration(sampler, frame);
            if (sampler->graph == NULL && configure_filters(sampler, frame, error, error_capacity) < 0) return -1;
            status = av_buffersrc_add_frame_flags(sampler->source, frame, 0);
            if (status < 0) {
                set_av_error(error, error_capacity, "cannot filter a video frame", status);
                return -1;
            }
            return 0;
        }
        if (status == AVERROR_EOF) {
            sampler->decoder_ended = 1;
            if (sampler->graph != NULL && (status = av_buffersrc_close(sampler->source, sampler->end, AV_BUFFERSRC_FLAG_PUSH)) < 0) {
                set_av_error(error, error_capacity, "cannot end the video filters", status);
                return -1;
            }
            return 0;
        }
        if (status != AVERROR(EAGAIN)) {
            // A damaged frame: skip it, as ffmpeg does.
            if (++sampler->errors_in_a_row > 1000) {
                set_av_error(error, error_capacity, "the video cannot be decoded", status);
                return -1;
            }
            continue;
        }
        if (sampler->input_ended) {
            avcodec_send_packet(sampler->decoder, NULL);
            continue;
        }
        status = av_read_frame(sampler->format, sampler->packet);
        if (status < 0) {
            // The end of the file, or a read error past which nothing can be read: decode what came.
            sampler->input_ended = 1;
            continue;
        }
        // A packet the decoder refuses (damaged data) is skipped, as ffmpeg does.
        if (sampler->packet->stream_index == sampler->stream) avcodec_send_packet(sampler->decoder, sampler->packet);
        av_packet_unref(sampler->packet);
    }
}

int edc_video_sampler_next(EdcVideoSampler *sampler, uint8_t *picture, size_t capacity, double *seconds,
                           char *error, size_t error_capacity) {
    for (;;) {
        if (sampler->graph != NULL) {
            int status = av_buffersink_get_frame(sampler->sink, sampler->filtered);
            if (status == 0) {
                AVFrame *frame = sampler->filtered;
                int size = av_image_get_buffer_size(frame->format, frame->width, frame->height, 1);
                if (size < 0 || (size_t)size != capacity) {
                    set_error(error, error_capacity, "a filtered frame of %dx%d does not fill %zu bytes", frame->width, frame->height, capacity);
                    av_frame_unref(frame);
                    return -1;
                }
                av_image_copy_to_buffer(picture, size, (const uint8_t *const *)frame->data, frame->linesize, frame->format,
                                        frame->width, frame->height, 1);
                AVRational period = av_buffersink_get_time_base(sampler->sink);
                *seconds = (double)frame->pts * period.num / period.den;
                av_frame_unref(frame);
                return 1;
            }
            if (status == AVERROR_EOF) return 0;
            if (status != AVERROR(EAGAIN)) {
                set_av_error(error, error_capacity, "cannot filter the video", status);
                return -1;
            }
        }
        if (sampler->decoder_ended) return 0;  // no frame was ever decoded
        if (feed_filters(sampler, error, error_capacity) < 0) return -1;
    }
}

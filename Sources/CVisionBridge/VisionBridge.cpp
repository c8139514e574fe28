#include "CVisionBridge.h"

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <string>

namespace {

void set_error(char *error, size_t capacity, const std::string &message) {
    if (error == nullptr || capacity == 0) return;
    std::strncpy(error, message.c_str(), capacity - 1);
    error[capacity - 1] = '\0';
}

// Runs `body`, turning any C++ exception into `failure` plus a message.
template <typename T, typename Body>
T guarded(char *error, size_t capacity, T failure, Body body) {
    try {
        return body();
    } catch (const cv::Exception &e) {
        set_error(error, capacity, e.what());
    } catch (const std::exception &e) {
        set_error(error, capacity, e.what());
    } catch (...) {
        set_error(error, capacity, "unknown C++ exception");
    }
    return failure;
}

// The `visible` part of a picture as an 8-bit image: its luma plane (`luma`, YUV only) or RGB.
cv::Mat visible_pixels(const uint8_t *pixels, EdcPixelLayout layout, int width, int height, cv::Rect visible, bool luma) {
    uint8_t *bytes = const_cast<uint8_t *>(pixels);
    if (layout == EDC_PIXELS_RGB24) return cv::Mat(height, width, CV_8UC3, bytes)(visible);
    if (luma) return cv::Mat(height, width, CV_8UC1, bytes)(visible);
    // Colour from YUV 4:2:0: convert only the part needed, widened to even edges (chroma
    // comes in 2×2 blocks), copied into the planar layout OpenCV converts.
    cv::Rect even(visible.x & ~1, visible.y & ~1, 0, 0);
    even.width = std::min(width, (visible.x + visible.width + 1) & ~1) - even.x;
    even.height = std::min(height, (visible.y + visible.height + 1) & ~1) - even.y;
    cv::Mat planar(even.height * 3 / 2, even.width, CV_8UC1);
    uint8_t *out = planar.data;
    cv::Mat(height, width, CV_8UC1, bytes)(even).copyTo(cv::Mat(even.height, even.width, CV_8UC1, out));
    out += even.width * even.height;
    cv::Rect half(even.x / 2, even.y / 2, even.width / 2, even.height / 2);
    for (int plane = 0; plane < 2; ++plane) {
        uint8_t *chroma = bytes + width * height + plane * (width / 2) * (height / 2);
        cv::Mat(height / 2, width / 2, CV_8UC1, chroma)(half).copyTo(cv::Mat(half.height, half.width, CV_8UC1, out));
        out += half.width * half.height;
    }
    cv::Mat rgb;
    cv::cvtColor(planar, rgb, cv::COLOR_YUV2RGB_I420);
    return rgb(cv::Rect(visible.x - even.x, visible.y - even.y, visible.width, visible.height));
}

}  // namespace

// OpenCV's calls run on the thread that makes them (the analysis has threads of its own; see
// LibraryThreads.swift). Set once, when the program loads, before any thread can use OpenCV:
// cv::setNumThreads tears down and re-creates OpenCV's TBB arena on every call, so calling it
// while another thread ran a network crashed the process inside libtbb (CI, 2026-12-07).
static const bool openCVRunsOnCallingThread = [] {
    cv::setNumThreads(1);
    return true;
}();

struct EdcNet {
    cv::dnn::Net net;
    std::vector<std::string> output_names;
};

struct EdcCascade {
    cv::CascadeClassifier classifier;
};

extern "C" {

EdcNet *edc_net_load_onnx(const char *path, char *error, size_t error_capacity) {
    return guarded<EdcNet *>(error, error_capacity, nullptr, [&]() -> EdcNet * {
        auto *result = new EdcNet{cv::dnn::readNetFromONNX(path), {}};
        result->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        result->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        result->output_names = result->net.getUnconnectedOutLayersNames();
        return result;
    });
}

void edc_net_free(EdcNet *net) { delete net; }

int edc_net_output_count(const EdcNet *net) { return static_cast<int>(net->output_names.size()); }

const char *edc_net_output_name(const EdcNet *net, int index) { return net->output_names.at(index).c_str(); }

int edc_net_forward(EdcNet *net, const float *input, const int *shape, int dims,
                    int output_count, float *const *outputs, const size_t *capacities, size_t *sizes,
                    char *error, size_t error_capacity) {
    return guarded<int>(error, error_capacity, -1, [&]() -> int {
        // The Mat wraps the caller's buffer; setInput copies it.
        cv::Mat blob(dims, shape, CV_32F, const_cast<float *>(input));
        net->net.setInput(blob);
        std::vector<cv::Mat> results;
        net->net.forward(results, net->output_names);
        if (static_cast<int>(results.size()) != output_count) {
            set_error(error, error_capacity, "the network has " + std::to_string(results.size()) + " outputs, " +
                                                 std::to_string(output_count) + " were expected");
            return -1;
        }
        for (int i = 0; i < output_count; ++i) {
            cv::Mat output = results[i].isContinuous() ? results[i] : results[i].clone();
            size_t count = output.total();
            sizes[i] = count;
            if (count > capacities[i]) {
                set_error(error, error_capacity, "output " + std::to_string(i) + " has " + std::to_string(count) +
                                                     " values, more than its buffer holds");
                return -1;
            }
            std::memcpy(outputs[i], output.ptr<float>(), count * sizeof(float));
        }
        return 0;
    });
}

int edc_i420_to_rgb(const uint8_t *yuv, int width, int height, uint8_t *rgb, char *error, size_t error_capacity) {
    return guarded<int>(error, error_capacity, -1, [&]() -> int {
        cv::Mat planes(height * 3 / 2, width, CV_8UC1, const_cast<uint8_t *>(yuv));
        cv::Mat packed(height, width, CV_8UC3, rgb);
        cv::cvtColor(planes, packed, cv::COLOR_YUV2RGB_I420);
        return 0;
    });
}

int edc_crop_to_planes(const uint8_t *pixels, EdcPixelLayout layout, int width, int height,
                       int roi_x, int roi_y, int roi_side, int size, int gray, float scale, float shift,
                       float *planes, char *error, size_t error_capacity) {
    return guarded<int>(error, error_capacity, -1, [&]() -> int {
        if (roi_side <= 0 || size <= 0) {
            set_error(error, error_capacity, "empty crop");
            return -1;
        }
        // Resize only the visible part of the region and place it on a black square of the
        // output size: the same picture as resizing the whole padded square, without
        // building it (for a letterboxed 960×540 frame that copy cost half the work).
        cv::Rect roi(roi_x, roi_y, roi_side, roi_side);
        cv::Rect visible = roi & cv::Rect(0, 0, width, height);
        // A grey crop of a YUV picture is a crop of its luma plane: no colour conversion.
        bool luma = layout == EDC_PIXELS_I420 && gray != 0;
        cv::Mat source = visible.area() > 0 ? visible_pixels(pixels, layout, width, height, visible, luma) : cv::Mat();
        int interpolation = roi_side > size ? cv::INTER_AREA : cv::INTER_LINEAR;
        cv::Mat resized(size, size, luma ? CV_8UC1 : CV_8UC3, cv::Scalar::all(luma ? 16 : 0));
        double zoom = static_cast<double>(size) / roi_side;  // output pixels per region pixel
        int x0 = static_cast<int>(std::lround((visible.x - roi_x) * zoom));
        int y0 = static_cast<int>(std::lround((visible.y - roi_y) * zoom));
        int x1 = std::min(size, static_cast<int>(std::lround((visible.x + visible.width - roi_x) * zoom)));
        int y1 = std::min(size, static_cast<int>(std::lround((visible.y + visible.height - roi_y) * zoom)));
        if (!source.empty() && x1 > x0 && y1 > y0) {
            cv::resize(source, resized(cv::Rect(x0, y0, x1 - x0, y1 - y0)), cv::Size(x1 - x0, y1 - y0), 0, 0, interpolation);
        }
        std::vector<cv::Mat> channels;
        if (luma) {
            // Limited-range luma (16–235) stretched to 0–255: the grey RGB's BT.601 luma gives.
            cv::Mat full;
            resized.convertTo(full, CV_32F, 255.0 / 219.0, -16.0 * 255.0 / 219.0);
            cv::min(cv::max(full, 0.0), 255.0, full);
            channels.push_back(full);
        } else if (gray != 0) {
            cv::Mat grey;
            cv::cvtColor(resized, grey, cv::COLOR_RGB2GRAY);
            channels.push_back(grey);
        } else {
            cv::split(resized, channels);
        }
        for (size_t c = 0; c < channels.size(); ++c) {
            cv::Mat plane(size, size, CV_32F, planes + c * static_cast<size_t>(size) * size);
            channels[c].convertTo(plane, CV_32F, scale, shift);
        }
        return 0;
    });
}

EdcCascade *edc_cascade_load(const char *path, char *error, size_t error_capacity) {
    return guarded<EdcCascade *>(error, error_capacity, nullptr, [&]() -> EdcCascade * {
        auto *result = new EdcCascade;
        if (!result->classifier.load(path)) {
            delete result;
            set_error(error, error_capacity, std::string("not a cascade classifier file: ") + path);
            return nullptr;
        }
        return result;
    });
}

void edc_cascade_free(EdcCascade *cascade) { delete cascade; }

int edc_cascade_detect(EdcCascade *cascade, const uint8_t *gray, int width, int height, int stride,
                       int min_size, EdcRect *rects, int capacity, char *error, size_t error_capacity) {
    return guarded<int>(error, error_capacity, -1, [&]() -> int {
        cv::Mat image(height, width, CV_8UC1, const_cast<uint8_t *>(gray), static_cast<size_t>(stride));
        cv::Mat equalised;
        cv::equalizeHist(image, equalised);
        std::vector<cv::Rect> found;
        cascade->classifier.detectMultiScale(equalised, found, 1.1, 5, 0, cv::Size(min_size, min_size));
        for (size_t i = 0; i < found.size() && static_cast<int>(i) < capacity; ++i) {
            rects[i] = EdcRect{found[i].x, found[i].y, found[i].width, found[i].height};
        }
        return static_cast<int>(found.size());
    });
}

}  // extern "C"

import COpenBLAS
import CVisionBridge

/// The analysis runs its stages on threads of its own (audio, voices, video decoding, image
/// models), so the libraries' thread pools only compete with them for the same cores: on
/// this 2-core machine OpenBLAS's and OpenCV's idle workers spun in `sched_yield` for about
/// 1.5 s of CPU per 5-minute lesson (perf), with no gain in speed. Each library call
/// therefore runs on the thread that makes it.
enum LibraryThreads {
    static func runCallsOnCallingThread() {
        openblas_set_num_threads(1)
        edc_set_thread_count(1)
    }
}

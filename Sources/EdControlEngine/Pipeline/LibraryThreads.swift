import COpenBLAS

/// The analysis runs its stages on threads of its own (audio, voices, video decoding, image
/// models), so the libraries' thread pools only compete with them for the same cores: on
/// this 2-core machine OpenBLAS's and OpenCV's idle workers spun in `sched_yield` for about
/// 1.5 s of CPU per 5-minute lesson (perf), with no gain in speed. Each library call
/// therefore runs on the thread that makes it. OpenBLAS is told once per process; OpenCV is
/// told when the program loads (VisionBridge.cpp), because re-telling it while another
/// analysis runs a network crashes it.
enum LibraryThreads {
    static let callsRunOnCallingThread: Void = openblas_set_num_threads(1)
}

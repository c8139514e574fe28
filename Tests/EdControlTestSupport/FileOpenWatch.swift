import Foundation

/// Counts the times a file is opened, through the kernel's inotify: a test's proof that
/// nothing read a file, whichever process or library would have.
final class FileOpenWatch {
    private let descriptor: Int32

    init(_ file: URL) throws {
        descriptor = inotify_init1(Int32(IN_NONBLOCK))
        guard descriptor >= 0, inotify_add_watch(descriptor, file.path, UInt32(IN_OPEN)) >= 0 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: file.path])
        }
    }

    deinit { close(descriptor) }

    /// Opens since the last call.
    func opens() -> Int {
        var count = 0
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let read = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard read > 0 else { return count }
            // Events without a name (the watch is on the file itself) are of fixed size.
            count += read / MemoryLayout<inotify_event>.size
        }
    }
}

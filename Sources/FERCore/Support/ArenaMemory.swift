#if canImport(Glibc)
    import Glibc
#endif

/// Memory for a ``Workspace``'s arena. Below 2 MiB it comes from `malloc`; from 2 MiB it is
/// mapped directly and, where the kernel offers transparent huge pages on request
/// (`/sys/kernel/mm/transparent_hugepage/enabled` = `madvise`, Debian's default), marked
/// `MADV_HUGEPAGE`: the first touch of each 2 MiB then costs one page fault instead of 512,
/// which is most of a cold process's arena cost (`ferdemo detect` on one photo).
enum ArenaMemory {
    static let hugePage = 2 << 20

    /// `count` floats, 64-byte aligned.
    static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let bytes = count * MemoryLayout<Float>.stride
        if bytes >= hugePage {
            let size = mappedSize(count)
            if let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED {
                _ = madvise(p, size, MADV_HUGEPAGE)
                return p.bindMemory(to: Float.self, capacity: count)
            }
        }
        return UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 64), alignment: 64).bindMemory(to: Float.self, capacity: count)
    }

    /// Releases memory from ``allocate(_:)`` of `count` floats.
    static func deallocate(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        if count * MemoryLayout<Float>.stride >= hugePage {
            _ = munmap(UnsafeMutableRawPointer(pointer), mappedSize(count))
        } else {
            UnsafeMutableRawPointer(pointer).deallocate()
        }
    }

    private static func mappedSize(_ count: Int) -> Int {
        (count * MemoryLayout<Float>.stride + hugePage - 1) / hugePage * hugePage
    }
}

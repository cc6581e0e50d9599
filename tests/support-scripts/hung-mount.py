#!/usr/bin/python3
"""A FUSE mount that never answers a read, as a hung NFS, FUSE or 9p mount under /lib/modules does.

Usage: hung-mount.py MOUNTPOINT NAME [NAME...]
Each NAME is listed as a regular file of 4096 bytes; stat answers at once, open() blocks until the mount is
aborted (umount -l, or kill -9 of this process). Runs in the foreground; the test that starts it unmounts it.
"""
import errno
import stat
import sys
import threading
import time

import fusepy


class Hung(fusepy.Operations):
    def __init__(self, names):
        self.names = set(names)
        self.forever = threading.Event()

    def getattr(self, path, fh=None):
        now = time.time()
        if path == "/":
            return dict(st_mode=stat.S_IFDIR | 0o755, st_nlink=2, st_ctime=now, st_mtime=now, st_atime=now)
        if path[1:] in self.names:
            return dict(st_mode=stat.S_IFREG | 0o644, st_nlink=1, st_size=4096, st_ctime=now, st_mtime=now, st_atime=now)
        raise fusepy.FuseOSError(errno.ENOENT)

    def readdir(self, path, fh):
        return [".", ".."] + sorted(self.names)

    def open(self, path, flags):
        self.forever.wait()  # never set: the caller's open() stays in the kernel
        return 0


if __name__ == "__main__":
    fusepy.FUSE(Hung(sys.argv[2:]), sys.argv[1], foreground=True, nothreads=False, allow_other=True)

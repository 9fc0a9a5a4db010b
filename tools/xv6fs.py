#!/usr/bin/python3
"""xv6fs.py - read files out of an xv6 (x86) file system image on the host.

The job: check from outside what the guest wrote to its disk.  xv6's
on-disk layout (fs.h, mkfs.c in its source): 512-byte blocks;
block 0 boot, block 1 the superblock (seven little-endian uint32: size,
nblocks, ninodes, nlog, logstart, inodestart, bmapstart), then the log, the
inode blocks (64-byte struct dinode: short type, major, minor, nlink; uint
size; uint addrs[NDIRECT + 1]), the free bitmap and the data blocks.  An
inode's data is in its NDIRECT (12) direct blocks, then in the blocks listed
by its indirect block (128 uint32).  A directory is a file of 16-byte
struct dirent (ushort inum; char name[14], NUL-padded); inum 0 is a free
slot; the root directory is inode 1.

The reader sees what is at the home locations.  A transaction xv6 committed
but has not yet installed is still in the log; after a command returns to
the shell prompt its transactions are installed, so a file it created reads
back here.

    xv6fs.py IMAGE ls [PATH]       list a directory (name, type, inum, size)
    xv6fs.py IMAGE cat PATH        a file's bytes to stdout
"""
import argparse
import struct
import sys

BSIZE = 512
ROOTINO = 1
NDIRECT = 12
NINDIRECT = BSIZE // 4
DINODE = struct.Struct("<hhhhI%dI" % (NDIRECT + 1))     # 64 bytes
DIRENT = struct.Struct("<H14s")                          # 16 bytes
SUPERBLOCK = struct.Struct("<7I")
T_DIR, T_FILE, T_DEV = 1, 2, 3
TYPE_NAMES = {T_DIR: "dir", T_FILE: "file", T_DEV: "dev"}


class FsError(Exception):
    """The image is not what xv6 would have written, or a path is missing."""


class Inode:
    def __init__(self, inum, raw):
        f = DINODE.unpack(raw)
        self.inum = inum
        self.type, self.major, self.minor, self.nlink, self.size = f[:5]
        self.addrs = list(f[5:])


class Xv6Fs:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.img = f.read()
        if len(self.img) < 2 * BSIZE:
            raise FsError("%s: too small for an xv6 file system" % path)
        fields = SUPERBLOCK.unpack_from(self.img, BSIZE)
        (self.size, self.nblocks, self.ninodes, self.nlog, self.logstart,
         self.inodestart, self.bmapstart) = fields
        if self.size * BSIZE > len(self.img) or self.inodestart >= self.size:
            raise FsError("%s: superblock does not fit the image (size %d blocks)"
                          % (path, self.size))

    def block(self, b):
        if b == 0 or b >= self.size:
            raise FsError("block %d is outside the file system (size %d)" % (b, self.size))
        return self.img[b * BSIZE:(b + 1) * BSIZE]

    def inode(self, inum):
        if not 0 < inum < self.ninodes:
            raise FsError("inode %d out of range (ninodes %d)" % (inum, self.ninodes))
        per_block = BSIZE // DINODE.size
        blk = self.block(self.inodestart + inum // per_block)
        return Inode(inum, blk[(inum % per_block) * DINODE.size:][:DINODE.size])

    def data_blocks(self, ip):
        nblocks = (ip.size + BSIZE - 1) // BSIZE
        if nblocks > NDIRECT + NINDIRECT:
            raise FsError("inode %d: size %d is larger than xv6 allows" % (ip.inum, ip.size))
        addrs = ip.addrs[:NDIRECT]
        if nblocks > NDIRECT:
            addrs += struct.unpack("<%dI" % NINDIRECT, self.block(ip.addrs[NDIRECT]))
        return addrs[:nblocks]

    def read(self, ip):
        data = b"".join(self.block(a) for a in self.data_blocks(ip))
        return data[:ip.size]

    def entries(self, ip):
        """(name, inum) of each used slot of directory ip."""
        if ip.type != T_DIR:
            raise FsError("inode %d is not a directory" % ip.inum)
        data = self.read(ip)
        out = []
        for off in range(0, len(data) - DIRENT.size + 1, DIRENT.size):
            inum, name = DIRENT.unpack_from(data, off)
            if inum:
                out.append((name.rstrip(b"\0").decode("utf-8", "replace"), inum))
        return out

    def lookup(self, path):
        ip = self.inode(ROOTINO)
        for part in [p for p in path.split("/") if p]:
            match = [inum for name, inum in self.entries(ip) if name == part]
            if not match:
                raise FsError("%s: no such file or directory" % path)
            ip = self.inode(match[0])
        return ip

    def read_file(self, path):
        ip = self.lookup(path)
        if ip.type != T_FILE:
            raise FsError("%s is not a regular file" % path)
        return self.read(ip)

    def listdir(self, path="/"):
        """[(name, type name, inum, size)] in directory order."""
        out = []
        for name, inum in self.entries(self.lookup(path)):
            ip = self.inode(inum)
            out.append((name, TYPE_NAMES.get(ip.type, "?%d" % ip.type), inum, ip.size))
        return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("image", help="the image (e.g. a disk copy a run kept)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    ls = sub.add_parser("ls", help="list a directory")
    ls.add_argument("path", nargs="?", default="/")
    cat = sub.add_parser("cat", help="print a file")
    cat.add_argument("path")
    a = ap.parse_args(argv)
    try:
        fs = Xv6Fs(a.image)
        if a.cmd == "ls":
            for name, kind, inum, size in fs.listdir(a.path):
                print("%-14s %-4s %4d %8d" % (name, kind, inum, size))
        else:
            sys.stdout.buffer.write(fs.read_file(a.path))
    except (FsError, OSError) as e:
        print("xv6fs: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

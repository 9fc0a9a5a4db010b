"""elfinfo.py - the allocated sections of an ELF32 guest kernel.

Memory faults land in the guest's own image: its code, read-only data,
data and bss, at the addresses the guest runs them at (the section
addresses, which for minios are KERNBASE + physical).  Read straight from
the section headers (the ELF32 layout of the System V ABI); no tool needed.
"""
import struct

SHF_ALLOC = 0x2
SHT_NOBITS = 8
ELF_MAGIC = b"\x7fELF"
ELFCLASS32 = 1


class Section:
    def __init__(self, name, addr, size, kind):
        self.name, self.addr, self.size, self.kind = name, addr, size, kind

    def __repr__(self):
        return "Section(%s, 0x%x, %d)" % (self.name, self.addr, self.size)


def sections(path):
    """The allocated sections with a non-zero size and address, in file
    order: [Section(name, addr, size, kind)] where kind is 'text', 'rodata',
    'data' or 'bss' (by name)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != ELF_MAGIC or data[4] != ELFCLASS32:
        raise ValueError("%s: not an ELF32 file" % path)
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
    heads = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    stroff = heads[shstrndx][4]
    out = []
    for h in heads:
        name_off, sh_type, flags, addr, _, size = h[:6]
        end = data.index(b"\0", stroff + name_off)
        name = data[stroff + name_off:end].decode()
        if not (flags & SHF_ALLOC) or size == 0 or addr == 0:
            continue
        out.append(Section(name, addr, size, _kind(name, sh_type)))
    return out


def _kind(name, sh_type):
    if sh_type == SHT_NOBITS or name.startswith(".bss"):
        return "bss"
    for k in ("text", "rodata", "data"):
        if name.startswith("." + k):
            return k
    return "data"


def find_bytes(path, needle):
    """The run-time address of the first occurrence of needle in an
    allocated, loaded section, or None."""
    with open(path, "rb") as f:
        data = f.read()
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum, _ = struct.unpack_from("<HHH", data, 0x2E)
    for i in range(shnum):
        _, sh_type, flags, addr, off, size = struct.unpack_from("<IIIIII", data, shoff + i * shentsize)
        if not (flags & SHF_ALLOC) or sh_type == SHT_NOBITS:
            continue
        at = data.find(needle, off, off + size)
        if at >= 0:
            return addr + at - off
    return None


SHT_SYMTAB = 2


def symbols(path):
    """{name: address} of the ELF's symbol table (functions and objects)."""
    with open(path, "rb") as f:
        data = f.read()
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum, _ = struct.unpack_from("<HHH", data, 0x2E)
    heads = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    out = {}
    for h in heads:
        if h[1] != SHT_SYMTAB:
            continue
        strtab = heads[h[6]]            # sh_link: the symbol names
        for off in range(h[4], h[4] + h[5], 16):
            name_off, value, _, _, _, shndx = struct.unpack_from("<IIIBBH", data, off)
            if name_off == 0 or shndx == 0:
                continue
            start = strtab[4] + name_off
            out[data[start:data.index(b"\0", start)].decode()] = value
    return out

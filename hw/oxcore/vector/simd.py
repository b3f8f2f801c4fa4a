"""Segmented (SIMD) arithmetic on words of packed elements, shared by the lane ALU and
the reduction tree: a word is cut into chunks (bytes, or 16-bit chunks of 2*SEW-bit
elements), an element is 1, 2 or 4 chunks (a size code 0, 1, 2), and one datapath
serves every element size. Written on whole words where it can be: Amaranth's
simulator runs a word operation as one Python operation, a per-bit one bit by bit."""

from amaranth import Cat, Const, Mux, Signal


MAX_CHUNKS = 4  # the longest element, in chunks (size code 2: `starts`, `ends`)


def ones(bit, width: int):
    """`width` copies of `bit`: a Mux, which simulates as one operation where
    ``bit.replicate(width)`` is one per bit."""
    return Mux(bit, Const((1 << width) - 1, width), Const(0, width))


def by_size(size, *options):
    """``options[size]`` for a size code (0, 1, 2: 8, 16, 32 bits; or 16, 32, 64 for
    2*SEW elements); the last for any larger code."""
    value = options[-1]
    for code in reversed(range(len(options) - 1)):
        value = Mux(size == code, options[code], value)
    return value


def starts(size, count: int) -> list:
    """Per chunk of a segmented word: whether an element starts there, elements being
    1, 2 or 4 chunks (size code 0, 1, 2+)."""
    return [by_size(size, *(Const(i % (1 << code) == 0) for code in range(3)))
            for i in range(count)]


def ends(size, count: int) -> list:
    """Per chunk of a segmented word: whether an element ends there (its most
    significant chunk), elements being 1, 2 or 4 chunks (size code 0, 1, 2+)."""
    return [by_size(size, *(Const(i % (1 << code) == (1 << code) - 1) for code in range(3)))
            for i in range(count)]


def exact_tops(x, y, carry_out: list, signed, inverted) -> list:
    """Per byte, the bit above an element's sum x + y (+ carry in) computed exactly (at
    the element's last byte): the carry out, plus the operands' extensions: their sign
    bits where `signed`, else 0 for x and `inverted` for y (y as added: ~b for a
    subtract). For a subtract it is 1 exactly where a - b < 0."""
    return [carry_out[j] ^ Mux(signed, x[8 * j + 7] ^ y[8 * j + 7], inverted)
            for j in range(len(carry_out))]


def element_flag(flags: list, size) -> list:
    """Per chunk, the flag of its element, from `flags` given at each element's last
    chunk (an adder's carry out, a sign bit); elements of 1, 2 or 4 chunks by `size`."""
    count = len(flags)
    return [by_size(size, *(flags[min(i | ((1 << code) - 1), count - 1)]
                            for code in range(3))) for i in range(count)]


def segmented_add(m, name: str, x, y, chunk: int, element_starts: list, carries: list):
    """``x + y`` cut into elements of whole `chunk`-bit chunks: where an element starts
    (`element_starts`), the carry into it is that chunk's `carries` bit, not the carry out of the
    chunk below. One carry chain per `MAX_CHUNKS` chunks (an element is never longer,
    so no carry crosses their boundary: a 128-bit beat is four short chains, not one
    long one): a spacer bit in front of each chunk kills (0 + 0), generates (1 + 1) or
    propagates (1 + 0) the carry; the spacer's sum bit in front of an element is the
    carry out of the element before it.
    Returns (sum, carry out of each chunk: valid at an element's last chunk)."""
    count = len(x) // chunk
    step = chunk + 1
    sums, carry_outs = [], []
    for first in range(0, count, MAX_CHUNKS):
        group = range(first, min(first + MAX_CHUNKS, count))
        xs, ys = [], []
        for i in group:
            bits = slice(i * chunk, (i + 1) * chunk)
            # (a group's first chunk always starts an element: its carry is its own)
            starts_here = 1 if i == first else element_starts[i]
            xs += [Mux(starts_here, carries[i], 1), x[bits]]
            ys += [Mux(starts_here, carries[i], 0), y[bits]]
        total = Signal(len(group) * step + 1, name=f"{name}{first // MAX_CHUNKS}")
        m.d.comb += total.eq(Cat(*xs) + Cat(*ys))
        sums += [total[k * step + 1:(k + 1) * step] for k in range(len(group))]
        carry_outs += [total[(k + 1) * step] for k in range(len(group))]
    return Cat(*sums), carry_outs


def shifted(value, amount, width: int, unit: int = 1, left: bool = False):
    """`value` shifted right (or `left`) by `amount` units of `unit` bits, zeros in, as
    `width` bits: a log shifter of multiplexers, not a variable shift. Yosys's resource
    sharing (`share`, in synth_ecp5) merges two variable-shift cells that never work in
    the same cycle into one, behind multiplexers on its operands selected by the
    conditions that choose between them, which come late in the cycle (the vector
    engine's load/store paths ran through them); it leaves multiplexers alone."""
    size = max(width, len(value))
    value = Cat(value, Const(0, size - len(value)))
    for k in range(len(amount)):
        step = unit << k
        if step >= size:
            moved = Const(0, size)
        else:
            moved = (value << step)[:size] if left else value >> step
        value = Mux(amount[k], moved, value)
    return value[:width]


def shl(value, amount):
    """``value << amount`` (its width too), as `shifted`'s multiplexers."""
    return shifted(value, amount, len(value) + (1 << len(amount)) - 1, left=True)


def shr(value, amount):
    """``value >> amount`` of an unsigned `value`, as `shifted`'s multiplexers."""
    return shifted(value, amount, len(value))

/* jdoc_numblk.c — the tokenizer's block scanner for runs of numbers
 * (common/dataset/jdoc.c's leaf-array loop calls it): the one-line arrays
 * of a sample.json checked 64 bytes at a time with byte-class bit masks,
 * SSE2 (the x86-64 baseline) or AVX2 where the CPU has it (chosen once at
 * start-up; mg_jdoc_simd lets tests force a level). Every check here has
 * a byte-loop twin in jdoc.c: a part this scanner refuses is taken by the
 * byte loop, so verdicts and messages never depend on the level
 * (test_jdoc_leaf runs every level against jansson). */
#include "jdoc_numblk.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "jdoc.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WORDS 1
#endif
#if defined(__SSE2__) && defined(WORDS)
#include <emmintrin.h>
#endif

/* A run of numbers in an array, each followed by ',' and at most one
 * space (the one-line arrays of a sample.json: "0.0, 0.487805, ..."),
 * checked 64 bytes at a time with bit masks (bit k: byte i + k) instead
 * of a chain of loads and branches per number. s[i] starts a number and
 * i + 80 <= n. The part taken ends at the last comma before the first
 * byte that is not a digit, '.', '-', ',' or ' ' (a ']', a newline, an
 * exponent). In it each byte class must stand where the grammar allows:
 * a space only right after a comma, a comma only right after a number,
 * '-' only first in a number and before a digit, '.' between two digits
 * and once in a number, a '0' first in an integer part not before
 * another digit; then its runs are numbers (-?(0|[1-9]D*)(.D+)?) and
 * separators (", " or ","), valid JSON. With o, writes the part's
 * compact text (spaces dropped) at *o; adds its numbers to *cnt and their
 * kinds to *kd (cnt NULL: neither). The index past the part's last
 * comma, or 0 when there is no such part or a check fails (nothing
 * written, nothing counted: the byte loop then takes the same bytes,
 * messages and all). While a part
 * is all 64 bytes (no other byte in them) and a space follows it, the
 * next 64 bytes after that space are taken the same way, without going
 * back to the byte loop (most of a long array: every note of a layer);
 * the index is then past the last part's comma. */
#if defined(__SSE2__) && defined(WORDS)
/* Bits set in x (no popcnt instruction in the baseline x86-64 target:
 * __builtin_popcountll would be a call). */
static inline int
ones64(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555ULL;
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (int)((x * 0x0101010101010101ULL) >> 56);
}

/* The 16-bit masks of four vectors as one 64-bit mask. */
static inline uint64_t
mask64(__m128i a, __m128i b, __m128i c, __m128i d)
{
    return (uint64_t)(uint16_t)_mm_movemask_epi8(a) |
           (uint64_t)(uint16_t)_mm_movemask_epi8(b) << 16 |
           (uint64_t)(uint16_t)_mm_movemask_epi8(c) << 32 |
           (uint64_t)(uint16_t)_mm_movemask_epi8(d) << 48;
}

/* The checks and the copy of num_block, given the byte-class masks of
 * the 64 bytes at s + i (bit k: byte i + k): D digits, P '.', M '-',
 * C ',', S ' ', Z '0'. */
static inline __attribute__((always_inline)) size_t
num_block_masks(const unsigned char *s, size_t i, char **op, unsigned *kd,
                uint32_t *cnt, uint64_t D, uint64_t P, uint64_t M,
                uint64_t C, uint64_t S, uint64_t Z, bool *whole)
{
    uint64_t Q = D | P | M, other = ~(Q | C | S);
    *whole = !other;
    if (other) C &= (other & -other) - 1; /* commas before the first */
    if (!C) return 0;
    int lastc = 63 - __builtin_clzll(C);
    uint64_t R = lastc == 63 ? ~0ULL : (1ULL << (lastc + 1)) - 1;
    Q &= R, P &= R, M &= R, S &= R, D &= R;
    uint64_t QS = Q & ~(Q << 1);              /* first byte of a number */
    uint64_t DS = D & ~(D << 1) & ~(P << 1);  /* first integer digit */
    /* Adding the bit after each '.' carries through the rest of its
     * number (all in Q) into the comma after it: a second '.' in the
     * same number is then a Q bit cleared in T. */
    uint64_t T = Q + (P << 1);
    if ((S & ~(C << 1)) | (C & ~(Q << 1)) | (M & ~QS) | (M & ~(D >> 1)) |
        (P & ~(D << 1)) | (P & ~(D >> 1)) | (P & ~T) | (DS & Z & (D >> 1)) |
        (~QS & 1))
        return 0;
    if (cnt) { /* NULL: an inner array's, whose count and kinds go unused */
        int runs = ones64(QS), dots = ones64(P);
        *kd |= (dots ? (unsigned)MG_JK_REAL : 0u) |
               (dots < runs ? (unsigned)MG_JK_INT : 0u);
        *cnt += (uint32_t)runs;
    }
    size_t end = (size_t)lastc + 1;
    if (op) {
        char *o = *op;
        size_t prev = 0;
        for (uint64_t sp = S; sp; sp &= sp - 1) {
            size_t at = (size_t)__builtin_ctzll(sp);
            memcpy(o, s + i + prev, 16); /* a run of at most 16 bytes */
            if (at - prev > 16) memcpy(o, s + i + prev, at - prev);
            o += at - prev;
            prev = at + 1;
        }
        memcpy(o, s + i + prev, 16);
        if (end - prev > 16) memcpy(o, s + i + prev, end - prev);
        *op = o + (end - prev);
    }
    return i + end;
}

/* num_block's loop over its parts; its argument sets D, P, M, C, S, Z for the
 * 64 bytes at s + i. A part needs i + 80 <= n (its loads and copies). */
#define NUM_BLOCK_LOOP(...)                                            \
    size_t at = 0;                                                     \
    for (bool whole;;) {                                               \
        uint64_t D, P, M, C, S, Z;                                     \
        __VA_ARGS__;                                                   \
        size_t e = num_block_masks(s, i, op, kd, cnt, D, P, M, C, S, Z, \
                                   &whole);                            \
        if (!e) return at;                                             \
        at = e;                                                        \
        if (!whole || e + 81 > n || s[e] != ' ') return at;            \
        i = e + 1;                                                     \
    }

#define EQ64(c)                                                        \
    mask64(_mm_cmpeq_epi8(v0, _mm_set1_epi8(c)),                       \
           _mm_cmpeq_epi8(v1, _mm_set1_epi8(c)),                       \
           _mm_cmpeq_epi8(v2, _mm_set1_epi8(c)),                       \
           _mm_cmpeq_epi8(v3, _mm_set1_epi8(c)))
#define DIG(v)                                                         \
    _mm_cmplt_epi8(_mm_sub_epi8(v, _mm_set1_epi8('0' - 128)),          \
                   _mm_set1_epi8(-128 + 10))

/* SSE2 (the x86-64 baseline): four 16-byte vectors. */
static size_t
num_block_sse2(const unsigned char *s, size_t i, size_t n, char **op,
               unsigned *kd, uint32_t *cnt)
{
    NUM_BLOCK_LOOP({
        const __m128i *b = (const __m128i *)(const void *)(s + i);
        __m128i v0 = _mm_loadu_si128(b), v1 = _mm_loadu_si128(b + 1),
                v2 = _mm_loadu_si128(b + 2), v3 = _mm_loadu_si128(b + 3);
        D = mask64(DIG(v0), DIG(v1), DIG(v2), DIG(v3));
        P = EQ64('.'), M = EQ64('-'), C = EQ64(','), S = EQ64(' ');
        Z = EQ64('0');
    })
}
#undef EQ64
#undef DIG

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define JDOC_AVX2 1
/* AVX2, where the CPU has it (chosen at start-up): two 32-byte vectors,
 * half the compares and mask moves; the same checks. */
__attribute__((target("avx2,bmi,lzcnt,popcnt"))) static size_t
num_block_avx2(const unsigned char *s, size_t i, size_t n, char **op,
               unsigned *kd, uint32_t *cnt)
{
#define M2(a, b)                                                       \
    ((uint64_t)(uint32_t)_mm256_movemask_epi8(a) |                     \
     (uint64_t)(uint32_t)_mm256_movemask_epi8(b) << 32)
#define EQ(c)                                                          \
    M2(_mm256_cmpeq_epi8(v0, _mm256_set1_epi8(c)),                     \
       _mm256_cmpeq_epi8(v1, _mm256_set1_epi8(c)))
#define DIG(v)                                                         \
    _mm256_cmpgt_epi8(_mm256_set1_epi8(-128 + 10),                     \
                      _mm256_sub_epi8(v, _mm256_set1_epi8('0' - 128)))
    NUM_BLOCK_LOOP({
        __m256i v0 = _mm256_loadu_si256(
                    (const __m256i *)(const void *)(s + i)),
                v1 = _mm256_loadu_si256(
                    (const __m256i *)(const void *)(s + i + 32));
        D = M2(DIG(v0), DIG(v1));
        P = EQ('.'), M = EQ('-'), C = EQ(','), S = EQ(' '), Z = EQ('0');
    })
#undef M2
#undef EQ
#undef DIG
}

static int simd_level = 1; /* 2 once the start-up check finds AVX2 */

/* AVX2 and the bit instructions every AVX2 CPU has (num_block_avx2's
 * masks: andn, lzcnt, tzcnt, popcnt). */
static bool
has_avx2(void)
{
    /* LZCNT by CPUID (leaf 0x80000001, ECX bit 5): clang's
     * __builtin_cpu_supports does not know the name */
    unsigned a, b, c, d;
    bool lzcnt = __get_cpuid(0x80000001u, &a, &b, &c, &d) && (c & (1u << 5));
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
           lzcnt && __builtin_cpu_supports("popcnt");
}

__attribute__((constructor)) static void
jdoc_cpu(void)
{
    __builtin_cpu_init();
    if (has_avx2()) simd_level = 2;
}
#else
static int simd_level = 1;
#endif

int
mg_jdoc_simd(int level)
{
    int had = simd_level;
    if (level >= 0) {
        simd_level = level;
#ifdef JDOC_AVX2
        if (level >= 2 && !has_avx2()) simd_level = 1;
#endif
        if (simd_level > 2) simd_level = 2;
#ifndef JDOC_AVX2
        if (simd_level > 1) simd_level = 1;
#endif
    }
    return had;
}

size_t
mg_jdoc_num_block(const unsigned char *s, size_t i, size_t n, char **op,
                  unsigned *kd, uint32_t *cnt)
{
#ifdef JDOC_AVX2
    if (simd_level == 2) return num_block_avx2(s, i, n, op, kd, cnt);
#endif
    if (simd_level == 1) return num_block_sse2(s, i, n, op, kd, cnt);
    return 0;
}

#else
size_t
mg_jdoc_num_block(const unsigned char *s, size_t i, size_t n, char **op,
                  unsigned *kd, uint32_t *cnt)
{
    (void)s, (void)i, (void)n, (void)op, (void)kd, (void)cnt;
    return 0;
}

int
mg_jdoc_simd(int level)
{
    (void)level;
    return 0;
}
#endif

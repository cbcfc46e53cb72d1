/* tinyir_index.h: what tinyir's kernel files share, private to them: walking
 * the index of an n-dimensional tensor (an odometer) and a broadcast. */
#ifndef TINYIR_INDEX_H
#define TINYIR_INDEX_H

#include <stddef.h>

#include "tinyir_kernels.h"

/* Next index of an odometer over the dimensions d with use[d] != 0 (or all
 * when use is NULL); returns 0 after the last one. */
static inline int32_t next_index(int32_t *index, const int32_t *shape, int32_t rank, const uint8_t *use, uint8_t want)
{
    for (int32_t d = rank - 1; d >= 0; d--)
    {
        if (use != NULL && (use[d] != 0) != want)
        {
            continue;
        }
        if (++index[d] < shape[d])
        {
            return 1;
        }
        index[d] = 0;
    }
    return 0;
}

/* The row-major strides (in elements) of a tensor of `shape`. */
static inline void row_major_strides(int32_t *stride, const int32_t *shape, int32_t rank)
{
    stride[rank - 1] = 1;
    for (int32_t d = rank - 2; d >= 0; d--)
    {
        stride[d] = stride[d + 1] * shape[d + 1];
    }
}

/* The element at `index` of a tensor of these strides. */
static inline int32_t offset_of(const int32_t *index, const int32_t *stride, int32_t rank)
{
    int32_t offset = 0;
    for (int32_t d = 0; d < rank; d++)
    {
        offset += index[d] * stride[d];
    }
    return offset;
}

/* Calls body(i1, i2, o) over the broadcast output in row-major order; a
 * rank out of 1..TINYIR_MAX_RANK makes the enclosing kernel return 1. */
#define TINYIR_BROADCAST_LOOP(bc, body)                                                                                \
    do                                                                                                                 \
    {                                                                                                                  \
        if ((bc)->rank < 1 || (bc)->rank > TINYIR_MAX_RANK)                                                            \
        {                                                                                                              \
            return 1;                                                                                                  \
        }                                                                                                              \
        int32_t index_[TINYIR_MAX_RANK] = {0};                                                                         \
        int32_t o_ = 0;                                                                                                \
        int32_t more_ = 1;                                                                                             \
        while (more_)                                                                                                  \
        {                                                                                                              \
            int32_t i1_ = 0, i2_ = 0;                                                                                  \
            for (int32_t d_ = 0; d_ < (bc)->rank; d_++)                                                                \
            {                                                                                                          \
                i1_ += index_[d_] * (bc)->stride_1[d_];                                                                \
                i2_ += index_[d_] * (bc)->stride_2[d_];                                                                \
            }                                                                                                          \
            body(i1_, i2_, o_);                                                                                        \
            o_++;                                                                                                      \
            more_ = next_index(index_, (bc)->shape, (bc)->rank, NULL, 1);                                              \
        }                                                                                                              \
    } while (0)

#endif /* TINYIR_INDEX_H */

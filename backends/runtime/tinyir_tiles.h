/* tinyir's portable C kernels of partial execution (tiny.tile_loop, the
 * --partial-exec pass): what CMSIS-NN has no kernel for.
 *
 * The C backend emits a tile loop as `for (int32_t t = 0; t < tiles; ++t)`
 * around one call per op of its body. Output tiles of conv / depthwise /
 * fully connected layers are CMSIS-NN calls on slices of the weights; these
 * kernels do the rest:
 *
 * - tinyir_extract_tile, tinyir_insert_tile: the copy of a window of
 *   channels between a whole buffer and a tile (a channel window of an NHWC
 *   buffer is strided: one short copy per pixel).
 * - tinyir_pointwise_input_tile_s8 and tinyir_conv_input_tile_s8: a conv (or
 *   fully connected) layer reading input channels [t*c, (t+1)*c): the partial
 *   sums are stored into the int32 accumulator at the first tile and added to
 *   it after; at the last tile the sums are requantized (TFLite's
 *   double-rounding MultiplyByQuantizedMultiplier, per channel), offset and
 *   clamped into the int8 output. Bit-exact with one pass over all inputs.
 *
 * Every function returns 0 on success, nonzero on bad arguments.
 */
#ifndef TINYIR_TILES_H
#define TINYIR_TILES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* extract_tile / insert_tile: tile `tile` of `tiles` of a buffer seen as
 * [rows][tiles x row_bytes] bytes (any element type): row r of the tile is
 * bytes [tile x row_bytes, (tile + 1) x row_bytes) of row r of the whole. */
int32_t tinyir_extract_tile(const void *whole, void *part, int32_t rows, int32_t row_bytes, int32_t tiles,
                            int32_t tile);
int32_t tinyir_insert_tile(const void *part, void *whole, int32_t rows, int32_t row_bytes, int32_t tiles, int32_t tile);

/* The shapes and quantization of an input tile of a conv / fully connected layer. */
typedef struct
{
    int32_t batches;
    int32_t in_h, in_w, in_c;    /* the input tile: in_c channels, tile t of `tiles` */
    int32_t out_h, out_w, out_c; /* the whole output (and the accumulator) */
    int32_t kernel_h, kernel_w;
    int32_t filter_row; /* elements from one filter tap's channels to the next (the layer's input depth) */
    int32_t stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
    int32_t input_offset, filter_offset, output_offset, activation_min, activation_max;
    int32_t per_channel; /* 1: a multiplier and shift per output channel; 0: one for all */
    int32_t tiles;
} tinyir_input_tile_params;

/* A 1x1 convolution without padding whose every tap lies in the input (any
 * stride), or a fully connected layer (batches = rows, the spatial sizes 1):
 * output pixel p, channel o sums input[p][i] * filter[o][i] over the tile's
 * channels i, `filter` at the tile's first channel, rows `filter_row` apart.
 * `constants`: per output channel, what the sums need beyond the tile's
 * products: bias + input_offset x (sum of the channel's filter over all
 * tiles) [+ the filter offset's constant terms], added at the first tile, so
 * that the inner loop is a plain dot product; with a filter offset
 * (per-tensor fully connected), filter_offset x sum(input) is added per
 * pixel. */
int32_t tinyir_pointwise_input_tile_s8(const tinyir_input_tile_params *params,
                                       int32_t tile,
                                       const int8_t *input,
                                       const int8_t *filter,
                                       const int32_t *constants,
                                       const int32_t *multiplier,
                                       const int32_t *shift,
                                       int32_t *acc,
                                       int8_t *output);

/* Any convolution the IR allows (kernel, stride, padding, dilation): taps
 * outside the input contribute nothing, as in TFLite. `filter` is the whole
 * [C_out, KH, KW, filter_row] filter offset to the tile's first channel;
 * `bias` (or NULL) is added at the first tile. */
int32_t tinyir_conv_input_tile_s8(const tinyir_input_tile_params *params,
                                  int32_t tile,
                                  const int8_t *input,
                                  const int8_t *filter,
                                  const int32_t *bias,
                                  const int32_t *multiplier,
                                  const int32_t *shift,
                                  int32_t *acc,
                                  int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TINYIR_TILES_H */

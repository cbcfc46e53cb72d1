// The C backend on a tile loop (--partial-exec): one C loop over the tiles
// around one call per op of its body. Output tiles are CMSIS-NN calls on the
// tile's slices of weights, bias, multipliers and shifts (pointers offset by
// t); the depthwise filter is emitted tile-major so that each tile's slice is
// contiguous; the project conv reads input tiles with tinyir's kernel,
// summing into the int32 accumulator %y.acc (the bias carries the input
// offset's share of the sums) and requantizing at the last tile.
//
// RUN: tinyir-opt %s -p 'partial-exec{plan="%S/Inputs/c-emitter-tiles.plan"},arena-alloc' -t 'c{model=block}' | filecheck %s
// RUN: tinyir-opt %s -p 'partial-exec{plan="%S/Inputs/c-emitter-tiles-insert.plan"},arena-alloc' -t 'c{model=block}' | filecheck %s --check-prefix=INSERT
// RUN: tinyir-opt %s -p 'partial-exec{plan="%S/Inputs/c-emitter-tiles-extract.plan"},arena-alloc' -t 'c{model=block}' | filecheck %s --check-prefix=EXTRACT
// The folder holds tinyir's tile kernels beside the others:
// RUN: rm -rf %t && tinyir-opt %s -p 'partial-exec{plan="%S/Inputs/c-emitter-tiles.plan"},arena-alloc' -t c -o %t && ls %t | filecheck %s --check-prefix=FILES

func.func @main(%x: !tiny.buffer<1x4x4x4xi8, 0.05:-3>) -> !tiny.buffer<1x4x4x4xi8, 0.07:4> {
  %w1 = tiny.const dense<"0x060CEC0CFE0005F713EEF7FB02FCF1EDECEDF113F3060AF5F7FDF612F30F0B0D"> : !tiny.buffer<8x1x1x4xi8, axis 0: {0.01:0, 0.02:0, 0.03:0, 0.04:0, 0.05:0, 0.06:0, 0.07:0, 0.08:0}>
  %b1 = tiny.const dense<"0xF0FFFFFFFBFFFFFF05000000FFFFFFFF060000000700000006000000EEFFFFFF"> : !tiny.buffer<8xi32>
  %w2 = tiny.const dense<"0x120210F6FA0FF3EEFA07F00EF9F5010F0F0EF8EC0B080AECED00F9FD11F401F8F70CF2F8F0F1F70703FDF20B0BF5EEF8F10B0000F70012F50AECF8110EEF0D0DFEFA131207FBF411"> : !tiny.buffer<1x3x3x8xi8, axis 3: {0.01:0, 0.02:0, 0.03:0, 0.04:0, 0.05:0, 0.06:0, 0.07:0, 0.08:0}>
  %b2 = tiny.const dense<"0xF6FFFFFF0200000006000000F5FFFFFFF8FFFFFF09000000F3FFFFFF06000000"> : !tiny.buffer<8xi32>
  %w3 = tiny.const dense<"0x110705FE12F4FA0506F0F2070D0511FBF90BEDF3F3FBF20B0DFBED08F004F211"> : !tiny.buffer<4x1x1x8xi8, axis 0: {0.01:0, 0.02:0, 0.03:0, 0.04:0}>
  %b3 = tiny.const dense<"0x07000000130000000400000008000000"> : !tiny.buffer<4xi32>
  %e = tiny.alloc : !tiny.buffer<1x4x4x8xi8, 0.04:-10>
  tiny.conv_2d %x, %w1, %b1 -> %e {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  %d = tiny.alloc : !tiny.buffer<1x4x4x8xi8, 0.03:5>
  tiny.depthwise_conv_2d %e, %w2, %b2 -> %d {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, 127>}
  %y = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.07:4>
  tiny.conv_2d %d, %w3, %b3 -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return %y : !tiny.buffer<1x4x4x4xi8, 0.07:4>
}

// CHECK:      #include "tinyir_kernels.h"
// CHECK-NEXT: #include "tinyir_tiles.h"
// CHECK:      /* %w2: 1x3x3x8 i8, tile-major: 2 tiles of axis 3, each contiguous */
// CHECK:      /* %b3: 4 i32, + input offset x filter sums: the constant part of the sums of an input tile (added at the first tile) */
// CHECK-NEXT: static const int32_t c5_b3[4]
// CHECK:      static int tinyir_block_run(uint8_t *arena)
// CHECK:      /* 1..3: tiny.tile_loop, 2 tiles: the ops below run once per tile t, on one window of channels */
// CHECK-NEXT: for (int32_t t = 0; t < 2; ++t)
// CHECK-NEXT: {
// CHECK-NEXT:     /* 1: tiny.conv_2d %x 1x4x4x4 -> %e 1x4x4x4, output tile t of 2, channels [t*4, t*4+4) of 8, filter 8x1x1x4, stride 1x1, pad 0,0,0,0, dilation 1x1: arm_convolve_wrapper_s8 */
// CHECK:          const cmsis_nn_per_channel_quant_params quant = {(int32_t *)op1_multiplier + t * 4, (int32_t *)op1_shift + t * 4};
// CHECK:          const cmsis_nn_dims filter_dims = {4, 1, 1, 4};
// CHECK:          arm_convolve_wrapper_s8(&ctx, &params, &quant, &input_dims, (const int8_t *)(arena + {{[0-9]+}}), &filter_dims, c0_w1 + t * 16, &bias_dims, c1_b1 + t * 4, &output_dims,
// CHECK:          /* 2: tiny.depthwise_conv_2d %e 1x4x4x4 -> %d 1x4x4x4, output tile t of 2, channels [t*4, t*4+4) of 8, filter 1x3x3x8, {{.*}}: arm_depthwise_conv_wrapper_s8 */
// CHECK:          const cmsis_nn_dims filter_dims = {1, 3, 3, 4};
// CHECK:          &filter_dims, c2_w2 + t * 36, &bias_dims, c3_b2 + t * 4,
// CHECK:          /* 3: tiny.conv_2d %d 1x4x4x4 -> %y 1x4x4x4, input tile t of 2, channels [t*4, t*4+4) of 8: partial sums in %y.acc (i32), requantized at t = 1; filter 4x1x1x8, stride 1x1, pad 0,0,0,0, dilation 1x1: tinyir_pointwise_input_tile_s8 */
// CHECK-NEXT:     TINYIR_OP_BEGIN(3);
// CHECK-NEXT:     {
// CHECK-NEXT:         static const tinyir_input_tile_params params = {.batches = 1, .in_h = 4, .in_w = 4, .in_c = 4, .out_h = 4, .out_w = 4, .out_c = 4, .kernel_h = 1, .kernel_w = 1, .filter_row = 8, {{.*}}, .input_offset = -5, .filter_offset = 0, .output_offset = 4, .activation_min = -128, .activation_max = 127, .per_channel = 1, .tiles = 2};
// CHECK-NEXT:         if (tinyir_pointwise_input_tile_s8(&params, t, (const int8_t *)(arena + {{[0-9]+}}), c4_w3 + t * 4, c5_b3, op3_multiplier, op3_shift, (int32_t *)(arena + {{[0-9]+}}), (int8_t *)(arena + [[Y:[0-9]+]])) != 0) {
// CHECK-NEXT:             return 3;
// CHECK-NEXT:         }
// CHECK-NEXT:     }
// CHECK-NEXT: }
// CHECK-NEXT: return 0;
// CHECK:      memcpy(output, tinyir_block_arena + [[Y]], 64); /* output 0 %y: 1x4x4x4 i8 */

// The depthwise tiles copied into the whole %d, which the project conv reads after the loop:
// INSERT:      for (int32_t t = 0; t < 2; ++t)
// INSERT:          /* 3: tiny.insert_tile %d_1 1x4x4x4 -> %d 1x4x4x8, tile t of 2: channels [t*4, t*4+4) of 8: tinyir_insert_tile, 16 rows of 4 byte(s) */
// INSERT-NEXT:     TINYIR_OP_BEGIN(3);
// INSERT-NEXT:     if (tinyir_insert_tile((const int8_t *)(arena + {{[0-9]+}}), (int8_t *)(arena + [[D:[0-9]+]]), 16, 4, 2, t) != 0) {
// INSERT:      }
// INSERT:      /* 4: tiny.conv_2d %d 1x4x4x8 -> %y 1x4x4x4, {{.*}}: arm_convolve_wrapper_s8 */
// INSERT:      arm_convolve_wrapper_s8(&ctx, &params, &quant, &input_dims, (const int8_t *)(arena + [[D]]),

// The depthwise reads tiles copied out of the whole %e:
// EXTRACT:      /* 1: tiny.conv_2d %x 1x4x4x4 -> %e 1x4x4x8,
// EXTRACT:      for (int32_t t = 0; t < 2; ++t)
// EXTRACT-NEXT: {
// EXTRACT-NEXT:     /* 2: tiny.extract_tile %e 1x4x4x8 -> %e_1 1x4x4x4, tile t of 2: channels [t*4, t*4+4) of 8: tinyir_extract_tile, 16 rows of 4 byte(s) */
// EXTRACT-NEXT:     TINYIR_OP_BEGIN(2);
// EXTRACT-NEXT:     if (tinyir_extract_tile((const int8_t *)(arena + {{[0-9]+}}), (int8_t *)(arena + {{[0-9]+}}), 16, 4, 2, t) != 0) {
// EXTRACT:          /* 4: tiny.conv_2d %d 1x4x4x4 -> %y 1x4x4x4, input tile t of 2,

// FILES-DAG: c_emitter_tiles.c
// FILES-DAG: c_emitter_tiles.h
// FILES-DAG: tinyir_kernels.c
// FILES-DAG: tinyir_kernels.h
// FILES-DAG: tinyir_tiles.c
// FILES-DAG: tinyir_tiles.h

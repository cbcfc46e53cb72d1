// The C backend (-t c) on a small allocated module: the arena, the const
// arrays in flash, one commented call per op at the buffers' arena offsets.
//
// RUN: tinyir-opt %s -t 'c{model=tiny_net}' | filecheck %s
// RUN: tinyir-opt %s -t 'c{model=tiny_net arena=external}' | filecheck %s --check-prefix=EXT
// RUN: rm -rf %t && tinyir-opt %s -t c -o %t && ls %t | filecheck %s --check-prefix=FILES
// IR without an arena is refused in one line:
// RUN: sed -e 's/tiny.arena_size = 48 : i64, //' %s > %t.plain.mlir
// RUN: not tinyir-opt %t.plain.mlir -t c 2>&1 | filecheck %s --check-prefix=REFUSE

builtin.module attributes {tiny.arena_size = 48 : i64, tiny.arena_lower_bound = 48 : i64, tiny.alignment = 16 : i64, tiny.target_cpu = "cortex-m4"} {
  func.func @main(%x: !tiny.buffer<1x2x2x2xi8, 0.5:-1> {tiny.offset = 0 : i64}) -> !tiny.buffer<1x2x1x4xi8, 0.25:3> {
    %w = tiny.const dense<"0x0102030405060708"> : !tiny.buffer<4x1x1x2xi8, axis 0: {0.01:0, 0.02:0, 0.03:0, 0.04:0}>
    %b = tiny.const dense<"0x01000000FFFFFFFF0200000000000000"> : !tiny.buffer<4xi32>
    %y = tiny.alloc offset 16 : !tiny.buffer<1x2x2x4xi8, 0.25:3>
    tiny.conv_2d %x, %w, %b -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
    %flat = tiny.reshape %y : !tiny.buffer<1x4x4xi8, 0.25:3>
    %z = tiny.alloc offset 0 : !tiny.buffer<1x4x4xi8, 0.25:3>
    tiny.add %flat, %flat -> %z {clamp = array<i64: -128, 127>}
    %p = tiny.alloc offset 32 : !tiny.buffer<1x2x1x4xi8, 0.25:3>
    tiny.max_pool_2d %y -> %p {kernel = array<i64: 1, 2>, stride = array<i64: 1, 2>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
    func.return %p : !tiny.buffer<1x2x1x4xi8, 0.25:3>
  }
}

// CHECK:      /* ===== tiny_net.h ===== */
// CHECK:      #define TINYIR_TINY_NET_ARENA_SIZE 48
// CHECK-NEXT: #define TINYIR_TINY_NET_ARENA_ALIGNMENT 16
// The input's and output's shape, layout, type and quantization:
// CHECK-NEXT: /* input 0: 1x2x2x2 i8, scale 0.5, zero point -1 */
// CHECK-NEXT: #define TINYIR_TINY_NET_INPUT0_SIZE 8
// CHECK-NEXT: #define TINYIR_TINY_NET_INPUT0_BYTES 8
// CHECK-NEXT: #define TINYIR_TINY_NET_INPUT0_DIMS {1, 2, 2, 2}
// CHECK-NEXT: #define TINYIR_TINY_NET_INPUT0_RANK 4
// CHECK-NEXT: #define TINYIR_TINY_NET_INPUT0_LAYOUT "NHWC"
// CHECK-NEXT: #define TINYIR_TINY_NET_INPUT0_TYPE int8_t
// CHECK-NEXT: #define TINYIR_TINY_NET_INPUT0_SCALE 0.5f
// CHECK-NEXT: #define TINYIR_TINY_NET_INPUT0_ZERO_POINT -1
// CHECK:      #define TINYIR_TINY_NET_OUTPUT0_ZERO_POINT 3
// Zero copy: the input and output in the arena, and a run on them in place:
// CHECK:      int8_t *tinyir_tiny_net_input(void);  /* input 0 %x */
// CHECK-NEXT: const int8_t *tinyir_tiny_net_output(void);  /* output 0 %p */
// CHECK:      int tinyir_tiny_net_invoke_in_place(void);
// CHECK:      int tinyir_tiny_net_invoke(const int8_t *input, int8_t *output);
// CHECK:      /* ===== tiny_net.c ===== */
// CHECK:      #include "arm_nnfunctions.h"
// Each op's code begins with a mark, a call only in profile builds (backends/cortex_m/count.py):
// CHECK:      #ifdef TINYIR_PROFILE
// CHECK-NEXT: void tinyir_op_mark(void);
// CHECK-NEXT: #define TINYIR_OP_BEGIN(n) tinyir_op_mark()
// CHECK-NEXT: #else
// CHECK-NEXT: #define TINYIR_OP_BEGIN(n) ((void)0)
// Scratch was sized for the pure C / DSP builds of CMSIS-NN: an MVE build is refused.
// CHECK:      #if defined(ARM_MATH_MVEI)
// CHECK-NEXT: #error "arena allocated for cortex-m4
// CHECK:      static uint8_t tinyir_tiny_net_arena[TINYIR_TINY_NET_ARENA_SIZE > 0 ? TINYIR_TINY_NET_ARENA_SIZE : 1] TINYIR_SRAM(16);
// CHECK:      /* %w: 4x1x1x2 i8 */
// CHECK-NEXT: static const int8_t c0_w[8] TINYIR_FLASH(16) = {
// CHECK-NEXT:     1, 2, 3, 4, 5, 6, 7, 8
// CHECK:      /* %b: 4 i32 */
// CHECK-NEXT: static const int32_t c1_b[4] TINYIR_FLASH(16) = {
// CHECK-NEXT:     1, -1, 2, 0
// CHECK:      /* op1: requantization */
// CHECK-NEXT: static const int32_t op1_multiplier[4]
// CHECK:      static int tinyir_tiny_net_run(uint8_t *arena)
// CHECK:      /* 1: tiny.conv_2d %x 1x2x2x2 -> %y 1x2x2x4, filter 4x1x1x2, stride 1x1, pad 0,0,0,0, dilation 1x1: arm_convolve_wrapper_s8 */
// CHECK:      const cmsis_nn_context ctx = {NULL, 0};
// CHECK:      const cmsis_nn_conv_params params = {.input_offset = 1, .output_offset = 3, .stride = {.w = 1, .h = 1}, .padding = {.w = 0, .h = 0}
// CHECK:      arm_convolve_wrapper_s8(&ctx, &params, &quant, &input_dims, (const int8_t *)(arena + 0), &filter_dims, c0_w, &bias_dims, c1_b, &output_dims, (int8_t *)(arena + 16))
// The view reads %y's bytes:
// CHECK:      /* 2: tiny.add %flat 1x4x4, %flat 1x4x4 -> %z 1x4x4: arm_elementwise_add_s8 */
// CHECK-NEXT: TINYIR_OP_BEGIN(2);
// CHECK-NEXT: if (arm_elementwise_add_s8((const int8_t *)(arena + 16), (const int8_t *)(arena + 16), 
// CHECK:      /* 3: tiny.max_pool_2d %y 1x2x2x4 -> %p 1x2x1x4, kernel 1x2, stride 1x2, pad 0,0,0,0: arm_max_pool_s8 */
// CHECK:      return 0;
// CHECK:      int8_t *tinyir_tiny_net_input(void)
// CHECK-NEXT: {
// CHECK-NEXT:     return (int8_t *)(tinyir_tiny_net_arena + 0);
// CHECK:      const int8_t *tinyir_tiny_net_output(void)
// CHECK-NEXT: {
// CHECK-NEXT:     return (const int8_t *)(tinyir_tiny_net_arena + 32);
// CHECK:      int tinyir_tiny_net_invoke_in_place(void)
// CHECK-NEXT: {
// CHECK-NEXT:     return tinyir_tiny_net_run(tinyir_tiny_net_arena);
// The copying entry point:
// CHECK:      int tinyir_tiny_net_invoke(const int8_t *input, int8_t *output)
// CHECK-NEXT: {
// CHECK-NEXT:     memcpy(tinyir_tiny_net_arena + 0, input, 8); /* input 0 %x: 1x2x2x2 i8 */
// CHECK-NEXT:     const int status = tinyir_tiny_net_run(tinyir_tiny_net_arena);
// CHECK-NEXT:     if (status != 0)
// CHECK-NEXT:         return status;
// CHECK-NEXT:     memcpy(output, tinyir_tiny_net_arena + 32, 8); /* output 0 %p: 1x2x1x4 i8 */
// CHECK-NEXT:     return 0;

// EXT:     int8_t *tinyir_tiny_net_input(uint8_t *arena);
// EXT:     int tinyir_tiny_net_invoke_in_place(uint8_t *arena);
// EXT:     int tinyir_tiny_net_invoke(uint8_t *arena, const int8_t *input, int8_t *output);
// EXT-NOT: static uint8_t tinyir_tiny_net_arena
// EXT:     return (int8_t *)(arena + 0);

// The C, tinyir's kernels, and what a firmware build takes as it is:
// FILES-DAG: c_emitter.c
// FILES-DAG: c_emitter.h
// FILES-DAG: tinyir_kernels.c
// FILES-DAG: tinyir_kernels.h
// FILES-DAG: tinyir.mk
// FILES-DAG: tinyir.cmake
// FILES-DAG: README.md

// REFUSE: error: C backend: the module has no arena (tiny.arena_size): run --arena-alloc first{{$}}

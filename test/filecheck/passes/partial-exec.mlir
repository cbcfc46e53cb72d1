// partial-exec runs a chain a band of rows or a window of channels at a time.
// The block is expand 1x1 (8 -> 32 channels), depthwise 3x3, project 1x1
// (32 -> 8) on 8x8: the search weighs each split by the peak the allocator
// will see. By rows, the expanded tensor lives in a line buffer of the 3 rows
// the depthwise conv reads (kept across tiles: nothing is computed twice),
// the depthwise output in one row, and the project conv writes %y a row per
// tile. That is the least peak, with no limit on the instructions it costs
// (max-slowdown=0).
//
// RUN: tinyir-opt %s --partial-exec=max-slowdown=0 | filecheck %s
// CHECK:      %y = tiny.alloc : !tiny.buffer<1x8x8x8xi8, 0.07:4>
// CHECK-NEXT: tiny.tile_loop %t < 8 rows {
// CHECK-NEXT:   %e = tiny.alloc : !tiny.buffer<1x3x8x32xi8, 0.04:-10>
// CHECK-NEXT:   tiny.conv_2d %x, %w1, %b1 -> %e {stride
// CHECK-NEXT:   %d = tiny.alloc : !tiny.buffer<1x1x8x32xi8, 0.03:5>
// CHECK-NEXT:   tiny.depthwise_conv_2d %e, %w2, %b2 -> %d {stride
// CHECK-NEXT:   tiny.conv_2d %d, %w3, %b3 -> %y {stride
// CHECK-NEXT: }
//
// By default the least peak within 2% more predicted instructions on
// Cortex-M4 (tinyir.analysis.cost): bands of 2 rows, fewer and larger calls,
// with the expanded tensor whole.
// RUN: tinyir-opt %s --partial-exec | filecheck %s --check-prefix=DEFAULT
// DEFAULT:      %e = tiny.alloc : !tiny.buffer<1x8x8x32xi8, 0.04:-10>
// DEFAULT:      tiny.tile_loop %t < 4 rows {
// DEFAULT-NEXT:   %d = tiny.alloc : !tiny.buffer<1x2x8x32xi8, 0.03:5>
// DEFAULT-NEXT:   tiny.depthwise_conv_2d %e, %w2, %b2 -> %d {stride
// DEFAULT-NEXT:   tiny.conv_2d %d, %w3, %b3 -> %y {stride
// DEFAULT-NEXT: }
//
// By channels only (rows=false): copying depthwise tiles into %d beats an
// int32 accumulator (4 bytes per output element) for the project conv, so
// the loop ends in insert_tile.
// RUN: tinyir-opt %s -p 'partial-exec{rows=false max-slowdown=0}' | filecheck %s --check-prefix=CHANNELS
// CHANNELS:      %d = tiny.alloc : !tiny.buffer<1x8x8x32xi8, 0.03:5>
// CHANNELS-NEXT: tiny.tile_loop %t < 16 {
// CHANNELS-NEXT:   %e = tiny.alloc : !tiny.buffer<1x8x8x2xi8, 0.04:-10>
// CHANNELS-NEXT:   tiny.conv_2d %x, %w1, %b1 -> %e tile %t {stride
// CHANNELS-NEXT:   %d_1 = tiny.alloc : !tiny.buffer<1x8x8x2xi8, 0.03:5>
// CHANNELS-NEXT:   tiny.depthwise_conv_2d %e, %w2, %b2 -> %d_1 tile %t {stride
// CHANNELS-NEXT:   tiny.insert_tile %d_1 -> %d tile %t {axis = 3 : i64}
// CHANNELS-NEXT: }
// CHANNELS-NEXT: %y = tiny.alloc : !tiny.buffer<1x8x8x8xi8, 0.07:4>
// CHANNELS-NEXT: tiny.conv_2d %d, %w3, %b3 -> %y {stride
//
// A plan pins the split instead: expand to project, 4 tiles, the project conv
// summing input tiles into %y.acc (i32) and requantizing after the last.
// RUN: tinyir-opt %s -p 'partial-exec{plan="%S/Inputs/partial-exec.plan"}' | filecheck %s --check-prefix=PLAN
// PLAN:      %y.acc = tiny.alloc : !tiny.buffer<1x8x8x8xi32>
// PLAN-NEXT: tiny.tile_loop %t < 4 {
// PLAN-NEXT:   %e = tiny.alloc : !tiny.buffer<1x8x8x8xi8, 0.04:-10>
// PLAN-NEXT:   tiny.conv_2d %x, %w1, %b1 -> %e tile %t {stride
// PLAN-NEXT:   %d = tiny.alloc : !tiny.buffer<1x8x8x8xi8, 0.03:5>
// PLAN-NEXT:   tiny.depthwise_conv_2d %e, %w2, %b2 -> %d tile %t {stride
// PLAN-NEXT:   tiny.conv_2d %d, %w3, %b3 -> %y acc %y.acc tile %t {stride
// PLAN-NEXT: }
//
// A plan may pin a split by rows too: 4 bands of 2 rows; the line buffer
// of the expanded tensor holds the 4 rows the depthwise conv reads.
// RUN: tinyir-opt %s -p 'partial-exec{plan="%S/Inputs/partial-exec-rows.plan"}' | filecheck %s --check-prefix=PLANROWS
// PLANROWS:      tiny.tile_loop %t < 4 rows {
// PLANROWS-NEXT:   %e = tiny.alloc : !tiny.buffer<1x4x8x32xi8, 0.04:-10>
// PLANROWS:        %d = tiny.alloc : !tiny.buffer<1x2x8x32xi8, 0.03:5>
// RUN: not tinyir-opt %s -p 'partial-exec{plan="%S/Inputs/partial-exec-rows-bad.plan"}' 2>&1 | filecheck %s --check-prefix=BADROWS
// BADROWS: error: {{.*}}partial-exec-rows-bad.plan:1:7: %e to %y: 9 tiles of rows, but its output has 8 rows
// BADROWS-NOT: Traceback
//
// MACs do not change, the output neither, and allocation and the arena
// checker take the loop (its tile buffers are reused by every tile):
// RUN: tinyir-opt %s --report - | filecheck %s --check-prefix=MACS
// RUN: tinyir-opt %s --partial-exec=max-slowdown=0 --arena-alloc --check-arena --report - | filecheck %s --check-prefix=MACS
// RUN: tinyir-opt %s -p 'partial-exec{rows=false max-slowdown=0},arena-alloc,check-arena' --report - | filecheck %s --check-prefix=MACS
// MACS: MACs           51200 (51.2 k)
// RUN: tinyir-run %s > %t.before
// RUN: tinyir-run %s --partial-exec=max-slowdown=0 --arena-alloc > %t.after
// RUN: diff %t.before %t.after
// RUN: tinyir-run %s --partial-exec --arena-alloc > %t.default
// RUN: diff %t.before %t.default
// RUN: tinyir-run %s -p 'partial-exec{rows=false max-slowdown=0},arena-alloc' > %t.channels
// RUN: diff %t.before %t.channels
// RUN: tinyir-opt %s --partial-exec=max-slowdown=0 --arena-alloc | filecheck %s --check-prefix=ARENA
// ARENA: tiny.arena_size = 2176 : i64, tiny.arena_lower_bound = 2176 : i64
// RUN: tinyir-opt %s --partial-exec --arena-alloc | filecheck %s --check-prefix=ARENA-DEFAULT
// ARENA-DEFAULT: tiny.arena_size = 3200 : i64, tiny.arena_lower_bound = 3200 : i64
// RUN: tinyir-opt %s -p 'partial-exec{rows=false max-slowdown=0},arena-alloc' | filecheck %s --check-prefix=ARENA-CHANNELS
// ARENA-CHANNELS: tiny.arena_size = 2816 : i64, tiny.arena_lower_bound = 2816 : i64
//
// stream-input=true: the input is never whole. It becomes a stream
// ({tiny.stream}) that tiny.read_rows reads in the first row loop, the rows
// each band needs into a line buffer of 2 rows; the output is the same.
// RUN: tinyir-opt %s --partial-exec=stream-input=true | filecheck %s --check-prefix=STREAM
// STREAM:      func.func @main(%x: !tiny.buffer<1x8x8x8xi8, 0.05:-3> {tiny.stream})
// STREAM:      tiny.tile_loop %t < 8 rows {
// STREAM-NEXT:   %x.rows = tiny.alloc : !tiny.buffer<1x2x8x8xi8, 0.05:-3>
// STREAM-NEXT:   tiny.read_rows %x -> %x.rows
// STREAM-NEXT:   %e = tiny.alloc : !tiny.buffer<1x3x8x32xi8, 0.04:-10>
// STREAM-NEXT:   tiny.conv_2d %x.rows, %w1, %b1 -> %e {stride
// RUN: tinyir-opt %s --partial-exec=stream-input=true --arena-alloc --check-arena | filecheck %s --check-prefix=ARENA-STREAM
// ARENA-STREAM: tiny.arena_size = 1664 : i64
// ARENA-STREAM-NOT: tiny.offset
// RUN: tinyir-run %s --partial-exec=stream-input=true --arena-alloc > %t.stream
// RUN: diff %t.before %t.stream
// The plan it made pins it again:
// RUN: tinyir-opt %s -p 'partial-exec{stream-input=true dump-plan="%t.plan"}' > %t.planned
// RUN: tinyir-opt %s -p 'partial-exec{stream-input=true plan="%t.plan"}' | diff %t.planned -
// RUN: filecheck %s --check-prefix=STREAM-PLAN < %t.plan
// STREAM-PLAN: split %x.rows to %y tiles 8 by rows
// A plan that leaves the input whole is refused:
// RUN: not tinyir-opt %s -p 'partial-exec{stream-input=true plan="%S/Inputs/partial-exec-rows.plan"}' 2>&1 | filecheck %s --check-prefix=STREAM-BADPLAN
// STREAM-BADPLAN: error: {{.*}}partial-exec-rows.plan: stream-input: no split by rows takes the input's tiny.read_rows
//
// Bad options and plans: one line each.
// RUN: not tinyir-opt %s -p 'partial-exec{max-chunks=1}' 2>&1 | filecheck %s --check-prefix=OPTION
// OPTION: max-chunks must be in 2..65536, got 1
// OPTION-NOT: Traceback
// RUN: not tinyir-opt %s -p 'partial-exec{max-slowdown=0.9}' 2>&1 | filecheck %s --check-prefix=SLOWDOWN
// SLOWDOWN: max-slowdown must be 0 (no limit) or at least 1, got 0.9
// RUN: not tinyir-opt %s -p 'partial-exec{plan="%S/Inputs/partial-exec-bad.plan"}' 2>&1 | filecheck %s --check-prefix=BADPLAN
// BADPLAN: error: {{.*}}partial-exec-bad.plan:2:7: 3 tiles do not divide the channels of %e .. %y
// BADPLAN-NOT: Traceback

func.func @main(%x: !tiny.buffer<1x8x8x8xi8, 0.05:-3>) -> !tiny.buffer<1x8x8x8xi8, 0.07:4> {
  %w1 = tiny.const dense<"0x0E0500F6F8EDEFECF30C05100004120905010211F70C06ECFB0E02ED0A090DF3EF0EEC01EFF7FFFCFCEDECF0EC060105F6040AFBFE130C13FB0712060D0708FB0FF103080D01FBF8FCFF080FEE1101FA0602F6F8080300F90AFBF90FF6F50804EDEFFB0DFC0BF8F50B0FEFEE06F902F20EFE0F0B08F50AEE02FC13F311EF04030FF710060FF30A11EDFA05F000050A11FCFDFE12F3FFEDFD1104F9130411ECFE0D0AFCFFFC01F50BEFFCF70909081011F3F0F109121106120EECF00EEF130D12FAF10012FA0FFB0CF5FFF9F50F0CF11012F6FD0106FDF11107ED0C09F30400ED1108F8ECEF0AF1000F11F6EEFF0D04EE06F9F5FD0E12F1020AF6F6F5F40FF4F5"> : !tiny.buffer<32x1x1x8xi8, axis 0: {0.01:0, 0.02:0, 0.03:0, 0.04:0, 0.05:0, 0.06:0, 0.07:0, 0.08:0, 0.09:0, 0.01:0, 0.02:0, 0.03:0, 0.04:0, 0.05:0, 0.06:0, 0.07:0, 0.08:0, 0.09:0, 0.01:0, 0.02:0, 0.03:0, 0.04:0, 0.05:0, 0.06:0, 0.07:0, 0.08:0, 0.09:0, 0.01:0, 0.02:0, 0.03:0, 0.04:0, 0.05:0}>
  %b1 = tiny.const dense<"0xF1FFFFFFF0FFFFFF0B000000F7FFFFFF0C000000030000000E000000020000000A0000000C000000EEFFFFFF02000000FEFFFFFFF7FFFFFFFEFFFFFFFCFFFFFFFFFFFFFF0C0000000D00000005000000080000001200000005000000FAFFFFFFEFFFFFFF02000000F5FFFFFF03000000EDFFFFFF0D00000011000000F1FFFFFF"> : !tiny.buffer<32xi32>
  %w2 = tiny.const dense<"0x0CFCED1011ED030C0BFC0E0DF0ECF0FAF0EFF60600F6120805110BF1ED0EFCEEFFFBFDFDF8FFFF13070BECF813F6000E050FF20005F9021309F8EEF3F60FF60CF606011202111209050E13F502F1F006ED080CF207FB0F100302080309F30B010A00F8EF0113ED02FDEC010A0913010312F80BF3FA0603F3060310040F12EFEE00FF0209F8F307FB11EE0809F6EFF8FB130EF5FE0310F10A1110F7F103EEF1EEF40E060513FFEDF2F606FAF8F008ECFE0900070BF4EFEE03F6F3090C12FF001300F3F612ED0C05FF0D0CFD040A06FF100FEE010DEFFB00F90713FA0BF0FFECFCEC0F12EF0C08F80B120B07F8040B08F5FCFA07FCFC0103F010FCF3ECFD09F70EF3F1FB08F70CEC13ED0DECFCF8130612FC00000A0010F3FFF50EF10810F7F70A"> : !tiny.buffer<1x3x3x32xi8, axis 3: {0.01:0, 0.02:0, 0.03:0, 0.04:0, 0.05:0, 0.06:0, 0.07:0, 0.08:0, 0.09:0, 0.01:0, 0.02:0, 0.03:0, 0.04:0, 0.05:0, 0.06:0, 0.07:0, 0.08:0, 0.09:0, 0.01:0, 0.02:0, 0.03:0, 0.04:0, 0.05:0, 0.06:0, 0.07:0, 0.08:0, 0.09:0, 0.01:0, 0.02:0, 0.03:0, 0.04:0, 0.05:0}>
  %b2 = tiny.const dense<"0x03000000020000000F000000EFFFFFFFF6FFFFFFFBFFFFFF10000000EEFFFFFFFEFFFFFFFFFFFFFFECFFFFFFFDFFFFFF05000000FCFFFFFFF8FFFFFF0300000013000000F0FFFFFFF7FFFFFF11000000F7FFFFFF07000000FAFFFFFF0C000000030000000F0000000500000003000000FFFFFFFFEDFFFFFFF0FFFFFF08000000"> : !tiny.buffer<32xi32>
  %w3 = tiny.const dense<"0x0502F00D0B01F60C0013F7FA0CF2F8FB090A0BFD04030AF1F809F4F713F3130EF202F8FF040F11EFF307F4F903F31306F5FA05F90411FAF3F70002EC05F2050FF30BED0206F40B02FCECF108FC0812050904F8EE04F5F00204FB05130A10EEF2FA03070710F1F2F8F208FC10F7F9F7F50D0CF7030FFF10F6F5EE05ECF303FDF3001313F00AFEFEFB0DF50309FC05F009F8EFF7FA05000DFD0FEDF9F3FB11F1F2FC0EEC0C0BFBEDFE080CF207020D080A0E07FB10020CF0F3010912EF0EFD12FB10F4F91113EFF1EC11F801130DF6FA0DFFF211030B1204080E1301020613FE0DF70BF00FF905F1FAEF0113F5F60BF3F2F4030001ED06F80A0DF0F704F2FCFA04"> : !tiny.buffer<8x1x1x32xi8, axis 0: {0.01:0, 0.02:0, 0.03:0, 0.04:0, 0.05:0, 0.06:0, 0.07:0, 0.08:0}>
  %b3 = tiny.const dense<"0x0900000007000000F8FFFFFF030000000C000000090000000B00000000000000"> : !tiny.buffer<8xi32>
  %e = tiny.alloc : !tiny.buffer<1x8x8x32xi8, 0.04:-10>
  tiny.conv_2d %x, %w1, %b1 -> %e {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  %d = tiny.alloc : !tiny.buffer<1x8x8x32xi8, 0.03:5>
  tiny.depthwise_conv_2d %e, %w2, %b2 -> %d {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, 127>}
  %y = tiny.alloc : !tiny.buffer<1x8x8x8xi8, 0.07:4>
  tiny.conv_2d %d, %w3, %b3 -> %y {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
  func.return %y : !tiny.buffer<1x8x8x8xi8, 0.07:4>
}

// strip-names drops the value names (taken from tensor names by the
// frontends); keep_arguments=true keeps those of the function arguments.
// The flag form and the -p pipeline form are the same pass.
//
// RUN: tinyir-opt %s --strip-names | filecheck %s --check-prefix=ALL
// RUN: tinyir-opt %s -p strip-names | filecheck %s --check-prefix=ALL
// RUN: tinyir-opt %s --strip-names=keep_arguments=false | filecheck %s --check-prefix=ALL
// RUN: tinyir-opt %s --strip-names=keep_arguments=true | filecheck %s --check-prefix=ARGS
// RUN: tinyir-opt %s -p 'strip-names{keep_arguments=true}' | filecheck %s --check-prefix=ARGS
//
// Without the pass the names stay; the pass is idempotent, and its output
// parses back to itself.
// RUN: tinyir-opt %s | filecheck %s --check-prefix=NONE
// RUN: tinyir-opt %s --strip-names | tinyir-opt --strip-names | filecheck %s --check-prefix=ALL
// RUN: tinyir-opt %s --strip-names=keep_arguments=true | tinyir-opt | filecheck %s --check-prefix=ARGS
// The pass is registered with stock xdsl-opt too (entry point xdsl.universe):
// RUN: xdsl-opt %s -p strip-names | filecheck %s --check-prefix=ALL
// RUN: xdsl-opt %s -p 'strip-names{keep_arguments=true}' | filecheck %s --check-prefix=ARGS
// Order matters: stripping all after keeping the arguments strips all.
// RUN: tinyir-opt %s --strip-names=keep_arguments=true --strip-names | filecheck %s --check-prefix=ALL

func.func @main(%input: !tiny.buffer<1x4xi8, 0.1:0>, %scale: !tiny.buffer<1x4xi8, 0.2:0>) -> !tiny.buffer<1x4xi8, 0.00390625:-128> {
  %sum = tiny.alloc : !tiny.buffer<1x4xi8, 0.3:0>
  tiny.add %input, %scale -> %sum {clamp = array<i64: -128, 127>}
  %flat = tiny.reshape %sum : !tiny.buffer<2x2xi8, 0.3:0>
  %weights = tiny.const dense<"0x01020304"> : !tiny.buffer<2x2xi8, axis 0: {0.01:0, 0.02:0}>
  %logits = tiny.alloc : !tiny.buffer<2x2xi8, 0.5:1>
  tiny.fully_connected %flat, %weights -> %logits {clamp = array<i64: -128, 127>}
  %probs = tiny.alloc : !tiny.buffer<1x4xi8, 0.00390625:-128>
  %row = tiny.reshape %logits : !tiny.buffer<1x4xi8, 0.5:1>
  tiny.mean %row -> %probs {axes = array<i64: 0>}
  func.return %probs : !tiny.buffer<1x4xi8, 0.00390625:-128>
}

func.func @second(%other: !tiny.buffer<4xi8, 0.1:0>) {
  %copy = tiny.alloc : !tiny.buffer<4xi8, 0.1:0>
  tiny.transpose %other -> %copy {perm = array<i64: 0>}
  func.return
}

// ALL:      func.func @main(%0: !tiny.buffer<1x4xi8, 0.1:0>, %1: !tiny.buffer<1x4xi8, 0.2:0>) -> !tiny.buffer<1x4xi8, 0.00390625:-128> {
// ALL-NEXT:   %2 = tiny.alloc : !tiny.buffer<1x4xi8, 0.3:0>
// ALL-NEXT:   tiny.add %0, %1 -> %2 {clamp = array<i64: -128, 127>}
// ALL-NEXT:   %3 = tiny.reshape %2 : !tiny.buffer<2x2xi8, 0.3:0>
// ALL-NEXT:   %4 = tiny.const dense<"0x01020304"> : !tiny.buffer<2x2xi8, axis 0: {0.01:0, 0.02:0}>
// ALL-NEXT:   %5 = tiny.alloc : !tiny.buffer<2x2xi8, 0.5:1>
// ALL-NEXT:   tiny.fully_connected %3, %4 -> %5 {clamp = array<i64: -128, 127>}
// ALL-NEXT:   %6 = tiny.alloc : !tiny.buffer<1x4xi8, 0.00390625:-128>
// ALL-NEXT:   %7 = tiny.reshape %5 : !tiny.buffer<1x4xi8, 0.5:1>
// ALL-NEXT:   tiny.mean %7 -> %6 {axes = array<i64: 0>}
// ALL-NEXT:   func.return %6 : !tiny.buffer<1x4xi8, 0.00390625:-128>
// ALL-NEXT: }
// ALL-NEXT: func.func @second(%0: !tiny.buffer<4xi8, 0.1:0>) {
// ALL-NEXT:   %1 = tiny.alloc : !tiny.buffer<4xi8, 0.1:0>
// ALL-NEXT:   tiny.transpose %0 -> %1 {perm = array<i64: 0>}
// ALL-NOT:  %{{[a-z]}}

// ARGS:      func.func @main(%input: !tiny.buffer<1x4xi8, 0.1:0>, %scale: !tiny.buffer<1x4xi8, 0.2:0>) -> !tiny.buffer<1x4xi8, 0.00390625:-128> {
// ARGS-NEXT:   %0 = tiny.alloc : !tiny.buffer<1x4xi8, 0.3:0>
// ARGS-NEXT:   tiny.add %input, %scale -> %0 {clamp = array<i64: -128, 127>}
// ARGS-NEXT:   %1 = tiny.reshape %0 : !tiny.buffer<2x2xi8, 0.3:0>
// ARGS-NEXT:   %2 = tiny.const dense<"0x01020304"> : !tiny.buffer<2x2xi8, axis 0: {0.01:0, 0.02:0}>
// ARGS-NEXT:   %3 = tiny.alloc : !tiny.buffer<2x2xi8, 0.5:1>
// ARGS-NEXT:   tiny.fully_connected %1, %2 -> %3 {clamp = array<i64: -128, 127>}
// ARGS-NEXT:   %4 = tiny.alloc : !tiny.buffer<1x4xi8, 0.00390625:-128>
// ARGS-NEXT:   %5 = tiny.reshape %3 : !tiny.buffer<1x4xi8, 0.5:1>
// ARGS-NEXT:   tiny.mean %5 -> %4 {axes = array<i64: 0>}
// ARGS-NEXT:   func.return %4 : !tiny.buffer<1x4xi8, 0.00390625:-128>
// ARGS-NEXT: }
// ARGS-NEXT: func.func @second(%other: !tiny.buffer<4xi8, 0.1:0>) {
// ARGS-NEXT:   %0 = tiny.alloc : !tiny.buffer<4xi8, 0.1:0>
// ARGS-NEXT:   tiny.transpose %other -> %0 {perm = array<i64: 0>}

// NONE:      func.func @main(%input: !tiny.buffer<1x4xi8, 0.1:0>, %scale: !tiny.buffer<1x4xi8, 0.2:0>)
// NONE-NEXT:   %sum = tiny.alloc
// NONE-NEXT:   tiny.add %input, %scale -> %sum
// NONE-NEXT:   %flat = tiny.reshape %sum
// NONE-NEXT:   %weights = tiny.const
// NONE-NEXT:   %logits = tiny.alloc
// NONE-NEXT:   tiny.fully_connected %flat, %weights -> %logits
// NONE-NEXT:   %probs = tiny.alloc
// NONE-NEXT:   %row = tiny.reshape %logits
// NONE-NEXT:   tiny.mean %row -> %probs
// NONE:      func.func @second(%other: !tiny.buffer<4xi8, 0.1:0>) {
// NONE-NEXT:   %copy = tiny.alloc
// NONE-NEXT:   tiny.transpose %other -> %copy

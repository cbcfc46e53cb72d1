// --print-ir-after-all prints the IR after each pass on stderr, under a
// header naming the pass; stdout keeps only the final IR (so it can still be
// piped into FileCheck or another tinyir-opt).
//
// RUN: tinyir-opt %s --strip-names=keep_arguments=true -p strip-names --print-ir-after-all > %t.out 2> %t.err
// RUN: filecheck %s --check-prefix=ERR < %t.err
// RUN: filecheck %s --check-prefix=OUT < %t.out
//
// Without passes there is nothing to print after:
// RUN: tinyir-opt %s --print-ir-after-all > %t.none.out 2> %t.none.err
// RUN: diff %t.none.err /dev/null
// RUN: filecheck %s --check-prefix=NONE < %t.none.out

func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) -> !tiny.buffer<1x4xi8, 0.00390625:-128> {
  %y = tiny.alloc : !tiny.buffer<1x4xi8, 0.00390625:-128>
  tiny.logistic %x -> %y
  func.return %y : !tiny.buffer<1x4xi8, 0.00390625:-128>
}

// The first pass keeps the argument's name, the second strips it too.
// ERR:      // -----// IR after strip-names //----- //
// ERR-NEXT: builtin.module {
// ERR-NEXT:   func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) -> !tiny.buffer<1x4xi8, 0.00390625:-128> {
// ERR-NEXT:     %0 = tiny.alloc : !tiny.buffer<1x4xi8, 0.00390625:-128>
// ERR-NEXT:     tiny.logistic %x -> %0
// ERR:      // -----// IR after strip-names //----- //
// ERR-NEXT: builtin.module {
// ERR-NEXT:   func.func @main(%0: !tiny.buffer<1x4xi8, 0.1:0>) -> !tiny.buffer<1x4xi8, 0.00390625:-128> {
// ERR-NEXT:     %1 = tiny.alloc : !tiny.buffer<1x4xi8, 0.00390625:-128>
// ERR-NEXT:     tiny.logistic %0 -> %1
// ERR-NOT:  IR after

// OUT-NOT:  IR after
// OUT:      builtin.module {
// OUT-NEXT:   func.func @main(%0: !tiny.buffer<1x4xi8, 0.1:0>) -> !tiny.buffer<1x4xi8, 0.00390625:-128> {
// OUT-NOT:  IR after

// NONE:      builtin.module {
// NONE-NEXT:   func.func @main(%x: !tiny.buffer<1x4xi8, 0.1:0>) -> !tiny.buffer<1x4xi8, 0.00390625:-128> {

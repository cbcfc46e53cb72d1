// -o writes the IR to a file and nothing to stdout; with --split-input-file
// the chunks come out in order, separated by the same marker, so the file can
// be split again.
//
// RUN: tinyir-opt %s -o %t.mlir > %t.stdout
// RUN: diff %t.stdout /dev/null
// RUN: filecheck %s --check-prefix=ONE < %t.mlir
// Writing to a file or to stdout gives the same text:
// RUN: tinyir-opt %s > %t.piped.mlir
// RUN: diff %t.mlir %t.piped.mlir
//
// RUN: tinyir-opt %s --split-input-file -o %t.split.mlir
// RUN: filecheck %s --check-prefix=SPLIT < %t.split.mlir
// RUN: tinyir-opt %t.split.mlir --split-input-file -o %t.split2.mlir
// RUN: diff %t.split.mlir %t.split2.mlir
//
// Output from stdin input:
// RUN: tinyir-opt < %s --strip-names -o %t.stdin.mlir
// RUN: filecheck %s --check-prefix=STDIN < %t.stdin.mlir

func.func @first(%a: !tiny.buffer<2xi8, 0.5:0>) {
  func.return
}

// -----

func.func @second(%b: !tiny.buffer<3xi8, 0.25:1>) {
  func.return
}

// Without --split-input-file the marker is a comment: one module, two functions.
// ONE:      builtin.module {
// ONE-NEXT:   func.func @first(%a: !tiny.buffer<2xi8, 0.5:0>) {
// ONE-NEXT:     func.return
// ONE-NEXT:   }
// ONE-NEXT:   func.func @second(%b: !tiny.buffer<3xi8, 0.25:1>) {
// ONE-NEXT:     func.return
// ONE-NEXT:   }
// ONE-NEXT: }
// ONE-NOT:  {{.}}

// SPLIT:      builtin.module {
// SPLIT-NEXT:   func.func @first(%a: !tiny.buffer<2xi8, 0.5:0>) {
// SPLIT-NEXT:     func.return
// SPLIT-NEXT:   }
// SPLIT-NEXT: }
// SPLIT-NEXT: {{^//[ ]-----$}}
// SPLIT-NEXT: builtin.module {
// SPLIT-NEXT:   func.func @second(%b: !tiny.buffer<3xi8, 0.25:1>) {
// SPLIT-NEXT:     func.return
// SPLIT-NEXT:   }
// SPLIT-NEXT: }
// SPLIT-NOT:  {{.}}

// STDIN:      func.func @first(%0: !tiny.buffer<2xi8, 0.5:0>) {
// STDIN:      func.func @second(%0: !tiny.buffer<3xi8, 0.25:1>) {

// What the ONNX frontend refuses: one line on stderr, `error: ...`, exit 1,
// never a traceback. (`{{\A}}` anchors a check at the start of the output;
// the NOT check after it rejects anything after the line.)
//
// RUN: python %{frontend}/make_onnx_model.py unsupported %t.tanh.onnx dynamic %t.dynamic.onnx \
// RUN:   opset7 %t.opset7.onnx opset22 %t.opset22.onnx external %t.external.onnx \
// RUN:   dynamic_reshape %t.reshape.onnx unsorted %t.unsorted.onnx batch %t.batch.onnx
//
// An operator tinyir does not support, named with its node:
// RUN: not tinyir-opt %t.tanh.onnx 2>&1 | filecheck %s --check-prefix=TANH
// TANH:      {{\A}}error: {{.*}}: unsupported ONNX operator Tanh (Tanh node 'the_tanh'){{$}}
// TANH-NOT:  {{.}}
//
// tinyir-run goes through the same frontend:
// RUN: not tinyir-run %t.tanh.onnx 2>&1 | filecheck %s --check-prefix=TANH
//
// A dynamic dimension other than the batch (which is fixed to 1):
// RUN: not tinyir-opt %t.dynamic.onnx 2>&1 | filecheck %s --check-prefix=DYNAMIC
// DYNAMIC:     {{\A}}error: {{.*}}: graph input 'x' has a dynamic dimension 'height' (dimension 2): only the batch dimension can be fixed (to 1); export the model with static sizes{{$}}
// DYNAMIC-NOT: {{.}}
// RUN: tinyir-opt %t.batch.onnx | filecheck %s --check-prefix=BATCH
// BATCH: func.func @main(%x: !tiny.buffer<1x3xf32>) -> !tiny.buffer<1x3xf32>
//
// A shape that is an input of the model:
// RUN: not tinyir-opt %t.reshape.onnx 2>&1 | filecheck %s --check-prefix=RESHAPE
// RESHAPE:     {{\A}}error: {{.*}}: graph input 'shape' has element type int64: only float32, int8 and uint8 are supported{{$}}
// RESHAPE-NOT: {{.}}
//
// Operator sets outside 8 to 21:
// RUN: not tinyir-opt %t.opset7.onnx 2>&1 | filecheck %s --check-prefix=OPSET7
// OPSET7:     {{\A}}error: {{.*}}: unsupported ONNX opset 7 (tinyir reads opsets 8 to 21){{$}}
// OPSET7-NOT: {{.}}
// RUN: not tinyir-opt %t.opset22.onnx 2>&1 | filecheck %s --check-prefix=OPSET22
// OPSET22:     {{\A}}error: {{.*}}: unsupported ONNX opset 22 (tinyir reads opsets 8 to 21){{$}}
// OPSET22-NOT: {{.}}
//
// Weights in an external data file that is not there:
// RUN: not tinyir-opt %t.external.onnx 2>&1 | filecheck %s --check-prefix=EXTERNAL
// EXTERNAL:     {{\A}}error: {{.*}}: external data file 'weights.bin' of tensor 'offsets' is missing (looked in {{.*}}){{$}}
// EXTERNAL-NOT: {{.}}
//
// Nodes out of topological order are sorted, not refused:
// RUN: tinyir-opt %t.unsorted.onnx | filecheck %s --check-prefix=UNSORTED
// UNSORTED:      tiny.logistic %x -> %[[S:.*]]
// UNSORTED:      tiny.clamp %[[S]] -> %{{.*}} {clamp = array<i64: 0, 9223372036854775807>}
//
// Not an ONNX file at all:
// RUN: echo "func.func @main() { func.return }" > %t.text.onnx
// RUN: not tinyir-opt %t.text.onnx 2>&1 | filecheck %s --check-prefix=NOTONNX
// NOTONNX:     {{\A}}error: {{.*}}: not an ONNX model: the file does not parse (DecodeError){{$}}
// NOTONNX-NOT: {{.}}
//
// --quantize takes float ONNX models only:
// RUN: not tinyir-opt %t.batch.onnx --quantize %t.missing.npz 2>&1 | filecheck %s --check-prefix=NOCALIB
// NOCALIB:     {{\A}}error: {{.*}}: cannot read calibration data {{.*}}missing.npz: {{.*}}{{$}}
// NOCALIB-NOT: {{.}}

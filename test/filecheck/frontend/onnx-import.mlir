// Import of small ONNX models written by make_onnx_model.py (onnx.helper).
//
// RUN: python %{frontend}/make_onnx_model.py qdq %t.qdq.onnx qoperator %t.qop.onnx cnn %t.cnn.onnx \
// RUN:   cnn:8 %t.cnn8.onnx mlp_head %t.mlp.onnx branches:18 %t.branches.onnx
// RUN: tinyir-opt %t.qdq.onnx -o %t.qdq.mlir
// RUN: filecheck %s --check-prefix=QDQ < %t.qdq.mlir
// RUN: tinyir-opt %t.qop.onnx -o %t.qop.mlir
// RUN: filecheck %s --check-prefix=QOP < %t.qop.mlir
// RUN: tinyir-opt %t.cnn.onnx -o %t.cnn.mlir
// RUN: filecheck %s --check-prefix=CNN < %t.cnn.mlir
// RUN: tinyir-opt %t.cnn8.onnx -o %t.cnn8.mlir
// RUN: filecheck %s --check-prefix=CNN < %t.cnn8.mlir
// RUN: tinyir-opt %t.mlp.onnx -o %t.mlp.mlir
// RUN: filecheck %s --check-prefix=MLP < %t.mlp.mlir
// RUN: tinyir-opt %t.branches.onnx -o %t.branches.mlir
// RUN: filecheck %s --check-prefix=BRANCHES < %t.branches.mlir
//
// No model keeps a transpose: NCHW is NHWC in tiny, Transpose nodes relabel.
// RUN: not grep tiny.transpose %t.qdq.mlir %t.qop.mlir %t.cnn.mlir %t.cnn8.mlir %t.mlp.mlir %t.branches.mlir
//
// The imported IR is valid text: it parses back and prints the same.
// RUN: tinyir-opt %t.qop.mlir -o %t.qop2.mlir
// RUN: diff %t.qop.mlir %t.qop2.mlir
// RUN: tinyir-opt %t.cnn.mlir -o %t.cnn2.mlir
// RUN: diff %t.cnn.mlir %t.cnn2.mlir

// QDQ as tf2onnx writes TFLite models: an int8 NHWC input whose quantization
// is the DequantizeLinear's; the Transpose to NCHW costs nothing; DQ -> Conv
// -> Relu -> Q is one int8 conv_2d with the Q's output quantization, its
// per-channel weights (axis 0) and int32 bias as they were; MatMul + Add is a
// fully connected layer (filter transposed to [C_out, K]); Softmax -> Q is
// TFLite's int8 softmax.
//
// QDQ:      func.func @main(%input: !tiny.buffer<1x4x4x2xi8, 0.05:-3>) -> !tiny.buffer<1x4xi8, 0.00390625:-128> {
// QDQ-NEXT:   %w = tiny.const dense<"0x80A5CAEF1439"> : !tiny.buffer<3x1x1x2xi8, axis 0: {0.01:0, 0.02:0, 0.04:0}>
// QDQ-NEXT:   %bias = tiny.const dense<"0x0A000000ECFFFFFF1E000000"> : !tiny.buffer<3xi32>
// QDQ-NEXT:   %[[CONV:.*]] = tiny.alloc : !tiny.buffer<1x4x4x3xi8, 0.1:-128>
// QDQ-NEXT:   tiny.conv_2d %input, %w, %bias -> %[[CONV]] {clamp = array<i64: -128, 127>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>}
// QDQ-NEXT:   %[[FLAT:.*]] = tiny.reshape %[[CONV]] : !tiny.buffer<1x48xi8, 0.1:-128>
// QDQ-NEXT:   %[[W:.*]] = tiny.const dense<"0x{{[0-9A-F]+}}"> : !tiny.buffer<4x48xi8, 0.02:0>
// QDQ-NEXT:   %[[B:.*]] = tiny.const dense<"0x01000000020000000300000004000000"> : !tiny.buffer<4xi32>
// QDQ-NEXT:   %[[FC:.*]] = tiny.alloc : !tiny.buffer<1x4xi8, 0.2:5>
// QDQ-NEXT:   tiny.fully_connected %[[FLAT]], %[[W]], %[[B]] -> %[[FC]] {clamp = array<i64: -128, 127>}
// QDQ-NEXT:   %[[P:.*]] = tiny.alloc : !tiny.buffer<1x4xi8, 0.00390625:-128>
// QDQ-NEXT:   tiny.softmax %[[FC]] -> %[[P]] {beta = 1.000000e+00 : f32}
// QDQ-NEXT:   func.return %[[P]] : !tiny.buffer<1x4xi8, 0.00390625:-128>

// QOperator with uint8 activations: every zero point is 128 lower (128 -> 0,
// 0 -> -128, 120 -> -8) and uint8 constants are shifted the same way. A float
// NCHW input becomes an NHWC argument, quantized on entry. The group-2
// QLinearConv is depthwise (filter [1, KH, KW, C], axis 3), SAME_UPPER pads
// 1 on each side. The float GlobalAveragePool between DQ and Q is an int8
// MEAN that requantizes; QLinearMatMul a fully connected layer without bias;
// com.microsoft QLinearAdd an int8 add; the float output is dequantized.
//
// QOP:      func.func @main(%x: !tiny.buffer<1x5x5x2xf32>) -> !tiny.buffer<1x3xf32> {
// QOP-NEXT:   %[[Q:.*]] = tiny.alloc : !tiny.buffer<1x5x5x2xi8, 0.02:0>
// QOP-NEXT:   tiny.quantize %x -> %[[Q]]
// QOP-NEXT:   %dw = tiny.const dense<"0x{{[0-9A-F]+}}"> : !tiny.buffer<1x3x3x2xi8, axis 3: {0.01:0, 0.03:0}>
// QOP-NEXT:   %dw_bias = tiny.const dense<"0x64000000
// QOP-NEXT:   %[[D:.*]] = tiny.alloc : !tiny.buffer<1x5x5x2xi8, 0.05:-128>
// QOP-NEXT:   tiny.depthwise_conv_2d %[[Q]], %dw, %dw_bias -> %[[D]] {clamp = array<i64: -128, 127>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>}
// QOP-NEXT:   %pw = tiny.const dense<"0x{{[0-9A-F]+}}"> : !tiny.buffer<4x1x1x2xi8, 0.02:0>
// QOP-NEXT:   %[[P:.*]] = tiny.alloc : !tiny.buffer<1x5x5x4xi8, 0.08:-8>
// QOP-NEXT:   tiny.conv_2d %[[D]], %pw -> %[[P]]
// QOP-NEXT:   %[[M:.*]] = tiny.alloc : !tiny.buffer<1x1x1x4xi8, 0.04:0>
// QOP-NEXT:   tiny.mean %[[P]] -> %[[M]] {axes = array<i64: 1, 2>}
// QOP-NEXT:   %[[F:.*]] = tiny.reshape %[[M]] : !tiny.buffer<1x4xi8, 0.04:0>
// QOP-NEXT:   %[[W:.*]] = tiny.const dense<"0x{{[0-9A-F]+}}"> : !tiny.buffer<3x4xi8, 0.03:0>
// QOP-NEXT:   %[[FC:.*]] = tiny.alloc : !tiny.buffer<1x3xi8, 0.1:-28>
// QOP-NEXT:   tiny.fully_connected %[[F]], %[[W]] -> %[[FC]] {clamp = array<i64: -128, 127>}
// QOP-NEXT:   %offset = tiny.const dense<"0xF80008"> : !tiny.buffer<1x3xi8, 0.05:0>
// QOP-NEXT:   %[[A:.*]] = tiny.alloc : !tiny.buffer<1x3xi8, 0.12:-18>
// QOP-NEXT:   tiny.add %[[FC]], %offset -> %[[A]] {clamp = array<i64: -128, 127>}
// QOP-NEXT:   %[[Y:.*]] = tiny.alloc : !tiny.buffer<1x3xf32>
// QOP-NEXT:   tiny.dequantize %[[A]] -> %[[Y]]
// QOP-NEXT:   func.return %[[Y]] : !tiny.buffer<1x3xf32>

// A float CNN (opset 13, and the same in opset 8: Clip and Pad attributes): an NHWC f32 argument;
// filters [C_out, KH, KW, C_in]; Relu and Clip(0, 6) are the clamps of the
// ops before them (the int64 extremes stand for no bound); the depthwise
// conv (group = channels) has a [1, KH, KW, C] filter, the group-2 conv a
// block-diagonal dense one; a Pad of zeros joins the next conv's padding;
// GlobalAveragePool is a MEAN, Flatten a view, Gemm (transB) a fully
// connected layer.
//
// CNN:      func.func @main(%image: !tiny.buffer<1x12x12x3xf32>) -> !tiny.buffer<1x10xf32> {
// CNN:        tiny.const {{.*}} : !tiny.buffer<8x3x3x3xf32>
// CNN:        tiny.conv_2d %image, {{.*}} {clamp = array<i64: 0, 9223372036854775807>, {{.*}} pad = array<i64: 1, 1, 1, 1>}
// CNN:        tiny.const {{.*}} : !tiny.buffer<1x3x3x8xf32>
// CNN:        tiny.depthwise_conv_2d {{.*}} {clamp = array<i64: 0, 6>,
// CNN:        tiny.const {{.*}} : !tiny.buffer<8x3x3x8xf32>
// CNN:        tiny.conv_2d {{.*}} {clamp = array<i64: -9223372036854775808, 9223372036854775807>,
// CNN:        tiny.add {{.*}} {clamp = array<i64: 0, 9223372036854775807>}
// CNN-NOT:    tiny.pad
// CNN:        tiny.alloc : !tiny.buffer<1x6x6x16xf32>
// CNN-NEXT:   tiny.conv_2d {{.*}} stride = array<i64: 2, 2>, {{.*}} pad = array<i64: 1, 1, 1, 1>}
// CNN:        tiny.max_pool_2d {{.*}} kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>
// CNN:        tiny.alloc : !tiny.buffer<1x1x1x16xf32>
// CNN-NEXT:   tiny.mean {{.*}} {axes = array<i64: 1, 2>}
// CNN-NEXT:   tiny.reshape {{.*}} : !tiny.buffer<1x16xf32>
// CNN:        tiny.const {{.*}} : !tiny.buffer<10x16xf32>
// CNN:        tiny.fully_connected
// CNN:        tiny.softmax

// Flattening an NCHW image into a MatMul: the bytes stay NHWC and the
// weights' rows are permuted instead. An AveragePool that counts padding is
// a depthwise conv with weights 1/9; Sigmoid is LOGISTIC.
//
// MLP:      func.func @main(%x: !tiny.buffer<1x6x6x4xf32>) -> !tiny.buffer<1x12xf32> {
// MLP:        tiny.depthwise_conv_2d %{{.*}}, %averagepool{{.*}}.weights -> {{.*}} {stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>,
// MLP-NEXT:   tiny.reshape %{{.*}} : !tiny.buffer<1x54xf32>
// MLP:        tiny.const {{.*}} : !tiny.buffer<12x54xf32>
// MLP:        tiny.fully_connected
// MLP:        tiny.logistic
// MLP:        tiny.mul

// Concat on channels is axis 3 in NHWC; a Transpose pair around a Sub by a
// constant cancels (the constant laid out to match); Sub and Div by
// constants are Add and Mul; ReduceMean (axes an input in opset 18) over H, W.
//
// BRANCHES:      func.func @main(%x: !tiny.buffer<1x8x8x4xf32>) -> !tiny.buffer<1x8xf32> {
// BRANCHES:        tiny.conv_2d {{.*}} {clamp = array<i64: -1, 1>,
// BRANCHES:        tiny.concat {{.*}} {axis = 3 : i64}
// BRANCHES-NEXT:   %{{.*}} = tiny.const dense<{{.*}}> : !tiny.buffer<1x1x1x8xf32>
// BRANCHES:        tiny.add
// BRANCHES:        tiny.mul
// BRANCHES:        tiny.alloc : !tiny.buffer<1x8xf32>
// BRANCHES-NEXT:   tiny.mean {{.*}} {axes = array<i64: 1, 2>}

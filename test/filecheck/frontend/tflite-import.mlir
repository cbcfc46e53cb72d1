// Import of small int8 TFLite models written by make_model.py (tinyir.testing.tflite_builder).
//
// RUN: python %{frontend}/make_model.py net %t.net.tflite
// RUN: tinyir-opt %t.net.tflite | filecheck %s --check-prefix=NET
// RUN: python %{frontend}/make_model.py ops %t.ops.tflite
// RUN: tinyir-opt %t.ops.tflite | filecheck %s --check-prefix=OPS
//
// The imported IR is valid text: it parses back and prints the same.
// RUN: tinyir-opt %t.net.tflite -o %t.net.mlir
// RUN: tinyir-opt %t.net.mlir -o %t.net2.mlir
// RUN: diff %t.net.mlir %t.net2.mlir
// RUN: tinyir-opt %t.ops.tflite -o %t.ops.mlir
// RUN: tinyir-opt %t.ops.mlir -o %t.ops2.mlir
// RUN: diff %t.ops.mlir %t.ops2.mlir

// Value names come from tensor names: the first of `a;b;c`, with `/` and `:`
// turned into `.`. Constants are materialized just before their first use;
// weights keep their raw bytes (per-channel quantization on axis 0 for
// CONV_2D, axis 3 for DEPTHWISE_CONV_2D); int32 biases are little-endian and
// lose their (implied) quantization.
//
// NET:      builtin.module {
// NET-NEXT:   func.func @main(%serving_default_input.0: !tiny.buffer<1x8x8x3xi8, 0.0235:-128>) -> !tiny.buffer<1x10xi8, 0.00390625:-128> {
// NET-NEXT:     %model.conv1.Conv2D = tiny.const dense<"0x81A6CBF0153A5F85AACFF4193E6389AED3F81D42678DB2D7FC21466B91B6DB00254A6F95BADF04294E7399BEE3082D52779DC2E70C31567BA1C6EB10355A7FA5CAEF14395E84A9CEF3183D6288ADD2F71C41668CB1D6FB20456A90B5DAFF24496E94B9DE03284D7298BDE207"> : !tiny.buffer<4x3x3x3xi8, axis 0: {0.01:0, 0.02:0, 0.03:0, 0.04:0}>
// NET-NEXT:     %model.conv1.BiasAdd.ReadVariableOp = tiny.const dense<"0x6400000038FFFFFF2C01000070FEFFFF"> : !tiny.buffer<4xi32>
// NET-NEXT:     %model.conv1.Relu6 = tiny.alloc : !tiny.buffer<1x4x4x4xi8, 0.05:-128>
//
// SAME padding, 8 -> 4 with a 3x3 kernel and stride 2: one row and one column
// of padding in all, TFLite puts it at the bottom and right. RELU6 becomes the
// clamp [zp, zp + round(6 / scale)] = [-128, -8].
// NET-NEXT:     tiny.conv_2d %serving_default_input.0, %model.conv1.Conv2D, %model.conv1.BiasAdd.ReadVariableOp -> %model.conv1.Relu6 {stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>, pad = array<i64: 0, 1, 0, 1>, clamp = array<i64: -128, -8>}
//
// NET-NEXT:     %model.dw.depthwise = tiny.const dense<"0x81888F969DA4ABB2B9C0C7CED5DCE3EAF1F8FF060D141B222930373E454C535A61686F767D858C939AA1A8AFB6BDC4CBD2D9E0E7EEF5FC030A11181F262D343B424950575E656C73"> : !tiny.buffer<1x3x3x8xi8, axis 3: {0.1:0, 0.2:0, 0.3:0, 0.4:0, 0.5:0, 0.6:0, 0.7:0, 0.8:0}>
// NET-NEXT:     %model.dw.BiasAdd = tiny.const dense<"0x60F0FFFF48F4FFFF30F8FFFF18FCFFFF00000000E8030000D0070000B80B0000"> : !tiny.buffer<8xi32>
// NET-NEXT:     %model.dw.Relu = tiny.alloc : !tiny.buffer<1x4x4x8xi8, 0.1:-10>
//
// SAME with stride 1: one on each side. Depth multiplier 2: 4 -> 8 channels.
// RELU becomes the clamp [zp, 127] = [-10, 127].
// NET-NEXT:     tiny.depthwise_conv_2d %model.conv1.Relu6, %model.dw.depthwise, %model.dw.BiasAdd -> %model.dw.Relu {stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -10, 127>}
//
// VALID padding: no padding.
// NET-NEXT:     %model.pool.MaxPool = tiny.alloc : !tiny.buffer<1x2x2x8xi8, 0.1:-10>
// NET-NEXT:     tiny.max_pool_2d %model.dw.Relu -> %model.pool.MaxPool {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, clamp = array<i64: -128, 127>}
//
// RESHAPE is a view of the pool's buffer: no alloc, no copy, and its constant
// shape input is not materialized.
// NET-NEXT:     %model.flatten.Reshape = tiny.reshape %model.pool.MaxPool : !tiny.buffer<1x32xi8, 0.1:-10>
// NET-NEXT:     %model.dense.MatMul = tiny.const dense<"0x8184878A8D909396999C9FA2A5A8ABAEB1B4B7BABDC0C3C6C9CCCFD2D5D8DBDEE1E4E7EAEDF0F3F6F9FCFF0205080B0E1114171A1D202326292C2F3235383B3E4144474A4D505356595C5F6265686B6E7174777A7D8184878A8D909396999C9FA2A5A8ABAEB1B4B7BABDC0C3C6C9CCCFD2D5D8DBDEE1E4E7EAEDF0F3F6F9FCFF0205080B0E1114171A1D202326292C2F3235383B3E4144474A4D505356595C5F6265686B6E7174777A7D8184878A8D909396999C9FA2A5A8ABAEB1B4B7BABDC0C3C6C9CCCFD2D5D8DBDEE1E4E7EAEDF0F3F6F9FCFF0205080B0E1114171A1D202326292C2F3235383B3E4144474A4D505356595C5F6265686B6E7174777A7D8184878A8D909396999C9FA2A5A8ABAEB1B4B7BABDC0C3C6C9CCCFD2D5D8DBDEE1E4E7EAEDF0F3F6F9FCFF0205080B0E1114171A1D202326292C2F3235383B3E41"> : !tiny.buffer<10x32xi8, 0.005:0>
// NET-NEXT:     %model.dense.BiasAdd.ReadVariableOp = tiny.const dense<"0xFBFFFFFFFCFFFFFFFDFFFFFFFEFFFFFFFFFFFFFF0000000001000000020000000300000004000000"> : !tiny.buffer<10xi32>
//
// The FC output's name (model/dense/MatMul;...) clashes with the weights' name:
// the printer numbers the second one.
// NET-NEXT:     %model.dense.MatMul_1 = tiny.alloc : !tiny.buffer<1x10xi8, 0.2:7>
// NET-NEXT:     tiny.fully_connected %model.flatten.Reshape, %model.dense.MatMul, %model.dense.BiasAdd.ReadVariableOp -> %model.dense.MatMul_1 {clamp = array<i64: -128, 127>}
// NET-NEXT:     %StatefulPartitionedCall.0 = tiny.alloc : !tiny.buffer<1x10xi8, 0.00390625:-128>
// NET-NEXT:     tiny.softmax %model.dense.MatMul_1 -> %StatefulPartitionedCall.0 {beta = 1.000000e+00 : f32}
// NET-NEXT:     func.return %StatefulPartitionedCall.0 : !tiny.buffer<1x10xi8, 0.00390625:-128>
// NET-NEXT:   }
// NET-NEXT: }

// A float input and output, three outputs, and the other operators.
//
// OPS:      func.func @main(%input: !tiny.buffer<1x4x4x2xf32>) -> (!tiny.buffer<1x4x6x6xi8, 0.02:5>, !tiny.buffer<1x2xf32>, !tiny.buffer<1x6x6x2xi8, 0.001:0>) {
// OPS-NEXT:     %quantized = tiny.alloc : !tiny.buffer<1x4x4x2xi8, 0.02:5>
// OPS-NEXT:     tiny.quantize %input -> %quantized{{$}}
//
// PAD pads with the output zero point.
// OPS-NEXT:     %padded = tiny.alloc : !tiny.buffer<1x6x6x2xi8, 0.02:5>
// OPS-NEXT:     tiny.pad %quantized -> %padded {paddings = array<i64: 0, 0, 1, 1, 1, 1, 0, 0>, value = 5 : i64}
// OPS-NEXT:     %pool = tiny.alloc : !tiny.buffer<1x6x6x2xi8, 0.02:5>
// OPS-NEXT:     tiny.avg_pool_2d %padded -> %pool {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, clamp = array<i64: -128, 127>}
// OPS-NEXT:     %hswish = tiny.alloc : !tiny.buffer<1x6x6x2xi8, 0.03:-20>
// OPS-NEXT:     tiny.hard_swish %pool -> %hswish{{$}}
// OPS-NEXT:     %sum = tiny.alloc : !tiny.buffer<1x6x6x2xi8, 0.04:-30>
// OPS-NEXT:     tiny.add %hswish, %pool -> %sum {clamp = array<i64: -30, 127>}
// OPS-NEXT:     %product = tiny.alloc : !tiny.buffer<1x6x6x2xi8, 0.001:0>
// OPS-NEXT:     tiny.mul %sum, %hswish -> %product {clamp = array<i64: -128, 127>}
//
// CONCATENATION axis -1 becomes 3.
// OPS-NEXT:     %concat = tiny.alloc : !tiny.buffer<1x6x6x4xi8, 0.02:5>
// OPS-NEXT:     tiny.concat %pool, %padded -> %concat {axis = 3 : i64}
// OPS-NEXT:     %nchw = tiny.alloc : !tiny.buffer<1x4x6x6xi8, 0.02:5>
// OPS-NEXT:     tiny.transpose %concat -> %nchw {perm = array<i64: 0, 3, 1, 2>}
//
// MEAN axes [2, -3] become [1, 2].
// OPS-NEXT:     %mean = tiny.alloc : !tiny.buffer<1x2xi8, 0.04:-30>
// OPS-NEXT:     tiny.mean %sum -> %mean {axes = array<i64: 1, 2>}
// OPS-NEXT:     %sigmoid = tiny.alloc : !tiny.buffer<1x2xi8, 0.00390625:-128>
// OPS-NEXT:     tiny.logistic %mean -> %sigmoid{{$}}
// OPS-NEXT:     %probability = tiny.alloc : !tiny.buffer<1x2xf32>
// OPS-NEXT:     tiny.dequantize %sigmoid -> %probability{{$}}
// OPS-NEXT:     func.return %nchw, %probability, %product : !tiny.buffer<1x4x6x6xi8, 0.02:5>, !tiny.buffer<1x2xf32>, !tiny.buffer<1x6x6x2xi8, 0.001:0>
// OPS-NEXT:   }
// OPS-NEXT: }

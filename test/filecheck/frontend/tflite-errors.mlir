// What the TFLite frontend refuses: one line on stderr, `error: ...`, exit 1,
// never a traceback. (`{{\A}}` anchors a check at the start of the output and
// the NOT check after it rejects anything after the line: the error is the
// only output.)
//
// An operator tinyir does not support, named with its index:
// RUN: python %{frontend}/make_model.py exp %t.exp.tflite
// RUN: not tinyir-opt %t.exp.tflite 2>&1 | filecheck %s --check-prefix=EXP
// EXP:       {{\A}}error: {{.*}}: unsupported TFLite operator EXP (operator #0){{$}}
// EXP-NOT:   {{.}}
//
// tinyir-run goes through the same frontend:
// RUN: not tinyir-run %t.exp.tflite 2>&1 | filecheck %s --check-prefix=EXP
//
// A file cut off inside its tables:
// RUN: python %{frontend}/make_model.py net %t.cut.tflite --truncate 1000
// RUN: not tinyir-opt %t.cut.tflite 2>&1 | filecheck %s --check-prefix=CUT
// CUT:       {{\A}}error: {{.*}}: corrupt or truncated TFLite file: cannot read {{.*}}{{$}}
// CUT-NOT:   {{.}}
//
// Too short to be a model, and a text file with a .tflite name:
// RUN: python %{frontend}/make_model.py net %t.empty.tflite --truncate 0
// RUN: not tinyir-opt %t.empty.tflite 2>&1 | filecheck %s --check-prefix=NOTTFL
// RUN: not tinyir-opt %s.tflite 2>&1 | filecheck %s --check-prefix=NOFILE
// RUN: echo "func.func @main() { func.return }" > %t.text.tflite
// RUN: not tinyir-opt %t.text.tflite 2>&1 | filecheck %s --check-prefix=NOTTFL
// NOTTFL:     {{\A}}error: {{.*}}: not a TFLite model: the file lacks the 'TFL3' identifier{{$}}
// NOTTFL-NOT: {{.}}
// NOFILE:     {{\A}}error: cannot read {{.*}}tflite-errors.mlir.tflite: No such file or directory{{$}}
// NOFILE-NOT: {{.}}
//
// A model is one module: it cannot be split.
// RUN: python %{frontend}/make_model.py net %t.net.tflite
// RUN: not tinyir-opt %t.net.tflite --split-input-file 2>&1 | filecheck %s --check-prefix=SPLIT
// SPLIT:     {{\A}}error: --split-input-file needs .mlir input{{$}}
// SPLIT-NOT: {{.}}
//
// An input format tinyir does not know:
// RUN: not tinyir-opt %t.model.pb 2>&1 | filecheck %s --check-prefix=FORMAT
// FORMAT:     {{\A}}error: {{.*}}.model.pb: unknown input format '.pb' (expected one of: {{.*}}.tflite{{.*}}){{$}}
// FORMAT-NOT: {{.}}

// tinyir-run runs a model on the reference executor. Without --input it feeds
// seeded random input and prints a checksum per output: the same model must
// give the same checksums after any pass and after a round trip through text.
//
// RUN: python %{frontend}/make_model.py ops %t.tflite
// RUN: tinyir-run %t.tflite > %t.plain
// RUN: tinyir-run %t.tflite --strip-names > %t.stripped
// RUN: tinyir-opt %t.tflite -o %t.mlir
// RUN: tinyir-run %t.mlir -p 'strip-names{keep_arguments=true}' > %t.text
// RUN: tinyir-run %t.tflite --seed 0 > %t.seed0
// RUN: cat %t.plain %t.stripped %t.text %t.seed0 | filecheck %s --check-prefix=SAME
//
// SAME:      {{\A}}random input (seed 0)
// SAME-NEXT: output 0: [1, 4, 6, 6] int8 checksum [[OUT0:[0-9a-f]+]]
// SAME-NEXT: output 1: [1, 2] float32 checksum [[OUT1:[0-9a-f]+]]
// SAME-NEXT: output 2: [1, 6, 6, 2] int8 checksum [[OUT2:[0-9a-f]+]]
// SAME-NEXT: random input (seed 0)
// SAME-NEXT: output 0: [1, 4, 6, 6] int8 checksum [[OUT0]]
// SAME-NEXT: output 1: [1, 2] float32 checksum [[OUT1]]
// SAME-NEXT: output 2: [1, 6, 6, 2] int8 checksum [[OUT2]]
// SAME-NEXT: random input (seed 0)
// SAME-NEXT: output 0: [1, 4, 6, 6] int8 checksum [[OUT0]]
// SAME-NEXT: output 1: [1, 2] float32 checksum [[OUT1]]
// SAME-NEXT: output 2: [1, 6, 6, 2] int8 checksum [[OUT2]]
// SAME-NEXT: random input (seed 0)
// SAME-NEXT: output 0: [1, 4, 6, 6] int8 checksum [[OUT0]]
// SAME-NEXT: output 1: [1, 2] float32 checksum [[OUT1]]
// SAME-NEXT: output 2: [1, 6, 6, 2] int8 checksum [[OUT2]]
// SAME-NOT:  {{.}}
//
// Another seed is another input (the net model's output depends on its input):
// RUN: python %{frontend}/make_model.py net %t.net.tflite
// RUN: tinyir-run %t.net.tflite --seed 1 > %t.s1
// RUN: tinyir-run %t.net.tflite --seed 2 > %t.s2
// RUN: cat %t.s1 %t.s2 | filecheck %s --check-prefix=SEEDS
// SEEDS:      random input (seed 1)
// SEEDS-NEXT: output 0: [1, 10] int8 checksum [[S1:[0-9a-f]+]]
// SEEDS-NEXT: random input (seed 2)
// SEEDS-NOT:  [[S1]]
//
// Arrays in and out (.npy): no "random input" line, the outputs are saved.
// RUN: python -c "import numpy as np; np.save('%t.x.npy', np.full((1, 8, 8, 3), 7, np.int8))"
// RUN: tinyir-run %t.net.tflite --input %t.x.npy --output %t.y.npy | filecheck %s --check-prefix=NPY
// RUN: python -c "import numpy as np; y = np.load('%t.y.npy'); print(y.shape, y.dtype)" | filecheck %s --check-prefix=SAVED
// NPY:      {{\A}}output 0: [1, 10] int8 checksum {{[0-9a-f]+$}}
// NPY-NOT:  {{.}}
// SAVED:    (1, 10) int8
//
// Errors are one line:
// RUN: not tinyir-run %t.tflite --output %t.only-one.npy 2>&1 | filecheck %s --check-prefix=NOUT
// NOUT:     {{\A}}error: the model has 3 outputs, 1 --output files were given{{$}}
// NOUT-NOT: {{.}}
// RUN: python -c "import numpy as np; np.save('%t.bad.npy', np.zeros((1, 8, 8), np.int8))"
// RUN: not tinyir-run %t.net.tflite --input %t.bad.npy 2>&1 | filecheck %s --check-prefix=SHAPE
// SHAPE:     {{\A}}error: input 0 must be [1, 8, 8, 3] int8, got [1, 8, 8] int8{{$}}
// SHAPE-NOT: {{.}}
// RUN: not tinyir-run %t.net.tflite --input %t.x.npy --input %t.x.npy 2>&1 | filecheck %s --check-prefix=COUNT
// COUNT:     {{\A}}error: @main takes 1 inputs, got 2{{$}}
// COUNT-NOT: {{.}}
// RUN: not tinyir-run %t.net.tflite --input %t.missing.npy 2>&1 | filecheck %s --check-prefix=MISSING
// MISSING:     {{\A}}error: cannot read input array {{.*}}missing.npy: {{.*}}{{$}}
// MISSING-NOT: {{.}}

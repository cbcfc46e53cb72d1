// Unusable report flags: one line on stderr, exit 1, checked before any work
// (nothing reaches stdout, no file is written).
//
// RUN: not tinyir-opt %s --report-plot %t.jpg 2>&1 | filecheck %s --check-prefix=FORMAT
// FORMAT:      {{\A}}error: cannot plot to {{.*}}.jpg: unknown image format '.jpg' (expected .png, .svg or .pdf){{$}}
// FORMAT-NOT:  {{.}}
//
// RUN: not tinyir-opt %s --report-plot %t.no-such-folder/m.png 2>&1 | filecheck %s --check-prefix=PLOTDIR
// PLOTDIR:     {{\A}}error: cannot plot to {{.*}}m.png: no such directory {{.*}}no-such-folder{{$}}
// PLOTDIR-NOT: {{.}}
//
// RUN: not tinyir-opt %s --report %t.no-such-folder/r.json 2>&1 | filecheck %s --check-prefix=JSONDIR
// JSONDIR:     {{\A}}error: cannot write report {{.*}}r.json: no such directory {{.*}}no-such-folder{{$}}
// JSONDIR-NOT: {{.}}
//
// RUN: not tinyir-opt %s --report-plot-baseline 2>&1 | filecheck %s --check-prefix=BASELINE
// BASELINE:    {{\A}}error: --report-plot-baseline needs --report-plot IMAGE{{$}}
// BASELINE-NOT: {{.}}
//
// RUN: not tinyir-opt %s --split-input-file --report - 2>&1 | filecheck %s --check-prefix=SPLIT
// SPLIT:       {{\A}}error: --report and --report-plot need one module, not --split-input-file{{$}}
// SPLIT-NOT:   {{.}}
//
// A report needs one function to follow:
// RUN: not tinyir-opt %s --report - 2>&1 | filecheck %s --check-prefix=FUNCS
// FUNCS:       {{\A}}error: expected one function in the module, found 2{{$}}
// FUNCS-NOT:   {{.}}
//
// RUN: not tinyir-opt %s --report-plot %t.jpg > %t.stdout 2> /dev/null
// RUN: diff %t.stdout /dev/null

func.func @first() {
  func.return
}

func.func @second() {
  func.return
}

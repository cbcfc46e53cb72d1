// Bad pass options: one line on stderr, exit 1, and nothing on stdout.
// The pipeline is checked before the input is read (the input here does not
// exist: the option error comes first).
//
// RUN: not tinyir-opt %s --strip-names=foo=bar 2>&1 | filecheck %s --check-prefix=UNKNOWN
// RUN: not tinyir-opt %t.does-not-exist.mlir -p 'strip-names{foo=bar}' 2>&1 | filecheck %s --check-prefix=UNKNOWN
// UNKNOWN:     {{\A}}error: pass pipeline 'strip-names{foo=bar}': Provided arguments ["foo"] not found in expected arguments ["keep_arguments"]{{$}}
// UNKNOWN-NOT: {{.}}
//
// RUN: not tinyir-opt %s --strip-names=keep_arguments=maybe 2>&1 | filecheck %s --check-prefix=TYPE
// TYPE:        {{\A}}error: pass pipeline 'strip-names{keep_arguments=maybe}': Incompatible types: given ('maybe',), expected <class 'bool'>{{$}}
// TYPE-NOT:    {{.}}
//
// RUN: not tinyir-opt %s -p no-such-pass 2>&1 | filecheck %s --check-prefix=PASS
// RUN: not tinyir-run %s -p no-such-pass 2>&1 | filecheck %s --check-prefix=PASS
// PASS:        {{\A}}error: pass pipeline 'no-such-pass': Unrecognized passes: ['no-such-pass']{{$}}
// PASS-NOT:    {{.}}
//
// xDSL's multi-line message (the spec with a caret under the problem) is folded into one line:
// RUN: not tinyir-opt %s -p 'strip-names{keep_arguments=true' 2>&1 | filecheck %s --check-prefix=SYNTAX
// SYNTAX:      {{\A}}error: pass pipeline 'strip-names{keep_arguments=true': Error parsing pass pipeline specification: {{.*}}{{$}}
// SYNTAX-NOT:  {{.}}
//
// Passes given as flags and with -p form one pipeline: a bad one anywhere fails it.
// RUN: not tinyir-opt %s --strip-names -p 'strip-names{keep=1}' 2>&1 | filecheck %s --check-prefix=MIXED
// MIXED:       {{\A}}error: pass pipeline 'strip-names,strip-names{keep=1}': Provided arguments ["keep"] not found in expected arguments ["keep_arguments"]{{$}}
// MIXED-NOT:   {{.}}
//
// Nothing reaches stdout:
// RUN: not tinyir-opt %s --strip-names=foo=bar > %t.stdout 2> /dev/null
// RUN: diff %t.stdout /dev/null
//
// An unknown flag is argparse's business (usage line, exit 2):
// RUN: not tinyir-opt %s --no-such-flag 2>&1 | filecheck %s --check-prefix=FLAG
// FLAG:        tinyir-opt: error: unrecognized arguments: --no-such-flag

func.func @main() {
  func.return
}

// An option out of range is refused before any work, in one line.
// RUN: not tinyir-opt %s --reorder=max_states=0 2>&1 | filecheck %s --check-prefix=RANGE
// RANGE: {{\A}}error: pass pipeline 'reorder{max_states=0}': max_states must be at least 1, got 0
// RANGE-NOT: {{.}}

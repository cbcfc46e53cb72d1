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
// A bad command line is one line too (not argparse's usage block), exit 1:
// RUN: not tinyir-opt %s --no-such-flag 2>&1 | filecheck %s --check-prefix=FLAG
// RUN: not tinyir-opt %s --max-arena 2>&1 | filecheck %s --check-prefix=VALUE
// RUN: not tinyir-run %s --seed -1 2>&1 | filecheck %s --check-prefix=SEED
// FLAG:        {{\A}}error: tinyir-opt: unrecognized arguments: --no-such-flag (see tinyir-opt --help){{$}}
// FLAG-NOT:    {{.}}
// VALUE:       {{\A}}error: tinyir-opt: argument --max-arena: expected one argument (see tinyir-opt --help){{$}}
// SEED:        {{\A}}error: tinyir-run: argument --seed: must be a whole number >= 0, got '-1' (see tinyir-run --help){{$}}

func.func @main() {
  func.return
}

// An option out of range is refused before any work, in one line.
// RUN: not tinyir-opt %s --reorder=max_states=0 2>&1 | filecheck %s --check-prefix=RANGE
// RANGE: {{\A}}error: pass pipeline 'reorder{max_states=0}': max-states must be in 1..100000000, got 0
// RANGE-NOT: {{.}}
//
// Every numeric option has a range, declared beside it (OPTION_RANGES), and a
// number is not a boolean:
// RUN: not tinyir-opt %s --partial-exec=max-chunks=2147483648 2>&1 | filecheck %s --check-prefix=CHUNKS
// RUN: not tinyir-opt %s --arena-alloc=alignment=9223372036854775808 2>&1 | filecheck %s --check-prefix=ALIGN
// RUN: not tinyir-opt %s --partial-exec=budget=true 2>&1 | filecheck %s --check-prefix=BOOL
// RUN: not tinyir-opt %s --reorder=max-states=true 2>&1 | filecheck %s --check-prefix=BOOL2
// CHUNKS: {{\A}}error: pass pipeline 'partial-exec{max-chunks=2147483648}': max-chunks must be in 2..65536, got 2147483648{{$}}
// ALIGN:  {{\A}}error: pass pipeline 'arena-alloc{alignment=9223372036854775808}': alignment must be in 4..4096, got 9223372036854775808{{$}}
// BOOL:   {{\A}}error: pass pipeline 'partial-exec{budget=true}': budget must be a number, got true{{$}}
// BOOL2:  {{\A}}error: pass pipeline 'reorder{max-states=true}': max-states must be a number, got true{{$}}

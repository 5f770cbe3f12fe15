;; The RETR encoding of MultilineEncoder (RFC 1939 section 3), sixteen octets at a time.
;;
;; Assembled into multiline-encode-kernel-wasm.ts by `npm run wasm -w @apop/core`; a test fails
;; when that file is stale. multiline-encoder.ts is the specification and keeps every rule;
;; this kernel only does the common case faster, and a test checks both give the same octets
;; for any input split in any way.
;;
;; encode(in, n, out, last) reads n octets at `in` and writes their wire form at `out`,
;; returning how many it wrote (at most 2n; it may store up to 16 octets past that, so the
;; caller leaves room). `last` is the octet before in[0]: LF (10) at the start of a line or
;; of the message. The two rules, each needing only the octet before:
;;   - an LF not preceded by CR goes out as CRLF (a CRLF stays as it is);
;;   - a "." that starts a line (preceded by LF, or first in the message) gets one more "."
;;     in front (byte-stuffing).
;; Every other octet is copied. A line is copied sixteen octets at a time, each group stored
;; whole even when it holds an LF: the octets after the LF are stored again, at their shifted
;; place, by the next step.
;; Written as one function with no calls: V8 does not inline WebAssembly calls, and a call per
;; line cost a fifth of the time.
(module
  ;; 13 pages of 64 KiB: a 256 KiB slice, its worst-case output and 16 octets (JavaScript checks).
  (memory (export "memory") 13)

  (func (export "encode") (param $in i32) (param $n i32) (param $out i32) (param $last i32)
    (result i32)
    (local $i i32) (local $p i32) (local $v v128) (local $m i32) (local $b i32)
    (block $done
      (loop $line
        ;; Here in[$i] starts a line, or the input (which may start mid-line).
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.and
              (i32.eq
                (if (result i32) (local.get $i)
                  (then (i32.load8_u (i32.sub (i32.add (local.get $in) (local.get $i)) (i32.const 1))))
                  (else (local.get $last)))
                (i32.const 10))
              (i32.eq (i32.load8_u (i32.add (local.get $in) (local.get $i))) (i32.const 46)))
          (then
            (i32.store8 (i32.add (local.get $out) (local.get $p)) (i32.const 46))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))))
        ;; Copy up to the next LF; leave with in[$i] that LF and out[$p] where its ending goes.
        (block $lf
          (block $short
            ;; Sixteen octets at a time.
            (loop $group
              (br_if $short (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $n)))
              (local.set $v (v128.load align=1 (i32.add (local.get $in) (local.get $i))))
              (v128.store align=1 (i32.add (local.get $out) (local.get $p)) (local.get $v))
              (local.set $m
                (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 10)))))
              (if (local.get $m)
                (then
                  (local.set $b (i32.ctz (local.get $m)))
                  (local.set $i (i32.add (local.get $i) (local.get $b)))
                  (local.set $p (i32.add (local.get $p) (local.get $b)))
                  (br $lf)))
              (local.set $i (i32.add (local.get $i) (i32.const 16)))
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (br $group)))
          ;; Fewer than sixteen left: one at a time.
          (loop $octet
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $b (i32.load8_u (i32.add (local.get $in) (local.get $i))))
            (br_if $lf (i32.eq (local.get $b) (i32.const 10)))
            (i32.store8 (i32.add (local.get $out) (local.get $p)) (local.get $b))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $octet)))
        ;; The line ending: LF alone after a CR (the CR is already out), CRLF otherwise.
        (if (i32.eq
              (if (result i32) (local.get $i)
                (then (i32.load8_u (i32.sub (i32.add (local.get $in) (local.get $i)) (i32.const 1))))
                (else (local.get $last)))
              (i32.const 13))
          (then
            (i32.store8 (i32.add (local.get $out) (local.get $p)) (i32.const 10))
            (local.set $p (i32.add (local.get $p) (i32.const 1))))
          (else
            (i32.store16 align=1 (i32.add (local.get $out) (local.get $p)) (i32.const 0x0a0d))
            (local.set $p (i32.add (local.get $p) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $line)))
    (local.get $p)))

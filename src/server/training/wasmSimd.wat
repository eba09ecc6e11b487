;; Stitch's own SIMD kernels for the wasm backend (wasmSimd.ts loads them). They work in place on the
;; backend's heap: the module imports tfjs-backend-wasm's memory, and every pointer is a byte offset into it
;; (a typed array's byteOffset). `scripts/build-wasm-simd.mjs` compiles this file twice, for the
;; single-threaded build's memory and for the threaded build's shared one (the import line below is
;; swapped), into wasmSimdBinary.ts; a unit test checks that file against this one.
;;
;; float32 values, row-major arrays, 4 lanes (one v128) at a time with a scalar loop for what is left.
(module
  (import "env" "memory" (memory 1))

  ;; MaxPoolGrad for 2×2 windows with stride 2 and no padding, NHWC, every window inside the input:
  ;; dx[p] = dy[o] where p is the window's maximum, 0 elsewhere. As the cpu backend: the first maximum in
  ;; row-major order wins ties, and NaN and −Infinity never count as one (a window of only those gets none).
  ;; Windows do not overlap, so each of the four pixels is written once: dy masked by "this one won". Rows
  ;; and columns no window covers (odd sizes) are cleared first.
  (func (export "maxPoolGrad2x2")
    (param $dx i32) (param $x i32) (param $dy i32)
    (param $batch i32) (param $h i32) (param $w i32) (param $c i32) (param $oh i32) (param $ow i32)
    (local $b i32) (local $i i32) (local $j i32) (local $k i32)
    (local $p0 i32) (local $row i32) (local $pixel i32) (local $o i32) (local $vecEnd i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $g v128)
    (local $best v128) (local $ok0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128) (local $later v128)
    (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32) (local $sg f32) (local $sbest f32)
    (local $sok0 i32) (local $sm1 i32) (local $sm2 i32) (local $sm3 i32)
    (if (i32.or (i32.lt_u (i32.shl (local.get $oh) (i32.const 1)) (local.get $h))
                (i32.lt_u (i32.shl (local.get $ow) (i32.const 1)) (local.get $w)))
      (then
        (memory.fill (local.get $dx) (i32.const 0)
          (i32.shl (i32.mul (i32.mul (i32.mul (local.get $batch) (local.get $h)) (local.get $w)) (local.get $c))
                   (i32.const 2)))))
    ;; Byte sizes: a pixel (C floats) and an input row (W pixels).
    (local.set $pixel (i32.shl (local.get $c) (i32.const 2)))
    (local.set $row (i32.mul (local.get $w) (local.get $pixel)))
    ;; Channels [0, vecEnd) go 4 at a time, in bytes.
    (local.set $vecEnd (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (local.set $o (local.get $dy))
    (local.set $b (i32.const 0))
    (block $doneB (loop $eachB
      (br_if $doneB (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $i (i32.const 0))
      (block $doneI (loop $eachI
        (br_if $doneI (i32.ge_u (local.get $i) (local.get $oh)))
        ;; The window row's first pixel: (b·H + 2i)·W·C floats.
        (local.set $p0
          (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (i32.shl (local.get $i) (i32.const 1)))
                   (local.get $row)))
        (local.set $j (i32.const 0))
        (block $doneJ (loop $eachJ
          (br_if $doneJ (i32.ge_u (local.get $j) (local.get $ow)))
          (local.set $k (i32.const 0))
          (block $doneVec (loop $eachVec
            (br_if $doneVec (i32.ge_u (local.get $k) (local.get $vecEnd)))
            (local.set $v0 (v128.load (i32.add (i32.add (local.get $x) (local.get $p0)) (local.get $k))))
            (local.set $ok0 (f32x4.gt (local.get $v0) (v128.const f32x4 -inf -inf -inf -inf)))
            (local.set $best (v128.bitselect (local.get $v0) (v128.const f32x4 -inf -inf -inf -inf) (local.get $ok0)))
            (local.set $v1 (v128.load
              (i32.add (i32.add (i32.add (local.get $x) (local.get $p0)) (local.get $pixel)) (local.get $k))))
            (local.set $m1 (f32x4.gt (local.get $v1) (local.get $best)))
            (local.set $best (v128.bitselect (local.get $v1) (local.get $best) (local.get $m1)))
            (local.set $v2 (v128.load
              (i32.add (i32.add (i32.add (local.get $x) (local.get $p0)) (local.get $row)) (local.get $k))))
            (local.set $m2 (f32x4.gt (local.get $v2) (local.get $best)))
            (local.set $best (v128.bitselect (local.get $v2) (local.get $best) (local.get $m2)))
            (local.set $v3 (v128.load
              (i32.add (i32.add (i32.add (i32.add (local.get $x) (local.get $p0)) (local.get $row)) (local.get $pixel))
                       (local.get $k))))
            (local.set $m3 (f32x4.gt (local.get $v3) (local.get $best)))
            (local.set $g (v128.load (i32.add (local.get $o) (local.get $k))))
            ;; The last pixel that beat the running maximum won.
            (v128.store
              (i32.add (i32.add (i32.add (i32.add (local.get $dx) (local.get $p0)) (local.get $row)) (local.get $pixel))
                       (local.get $k))
              (v128.and (local.get $g) (local.get $m3)))
            (v128.store
              (i32.add (i32.add (i32.add (local.get $dx) (local.get $p0)) (local.get $row)) (local.get $k))
              (v128.and (local.get $g) (v128.andnot (local.get $m2) (local.get $m3))))
            (local.set $later (v128.or (local.get $m2) (local.get $m3)))
            (v128.store
              (i32.add (i32.add (i32.add (local.get $dx) (local.get $p0)) (local.get $pixel)) (local.get $k))
              (v128.and (local.get $g) (v128.andnot (local.get $m1) (local.get $later))))
            (local.set $later (v128.or (local.get $m1) (local.get $later)))
            (v128.store
              (i32.add (i32.add (local.get $dx) (local.get $p0)) (local.get $k))
              (v128.and (local.get $g) (v128.andnot (local.get $ok0) (local.get $later))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $eachVec)))
          ;; The channels left over (C not a multiple of 4), one at a time, the same way.
          (block $doneTail (loop $eachTail
            (br_if $doneTail (i32.ge_u (local.get $k) (local.get $pixel)))
            (local.set $s0 (f32.load (i32.add (i32.add (local.get $x) (local.get $p0)) (local.get $k))))
            (local.set $sok0 (f32.gt (local.get $s0) (f32.const -inf)))
            (local.set $sbest (select (local.get $s0) (f32.const -inf) (local.get $sok0)))
            (local.set $s1 (f32.load
              (i32.add (i32.add (i32.add (local.get $x) (local.get $p0)) (local.get $pixel)) (local.get $k))))
            (local.set $sm1 (f32.gt (local.get $s1) (local.get $sbest)))
            (local.set $sbest (select (local.get $s1) (local.get $sbest) (local.get $sm1)))
            (local.set $s2 (f32.load
              (i32.add (i32.add (i32.add (local.get $x) (local.get $p0)) (local.get $row)) (local.get $k))))
            (local.set $sm2 (f32.gt (local.get $s2) (local.get $sbest)))
            (local.set $sbest (select (local.get $s2) (local.get $sbest) (local.get $sm2)))
            (local.set $s3 (f32.load
              (i32.add (i32.add (i32.add (i32.add (local.get $x) (local.get $p0)) (local.get $row)) (local.get $pixel))
                       (local.get $k))))
            (local.set $sm3 (f32.gt (local.get $s3) (local.get $sbest)))
            (local.set $sg (f32.load (i32.add (local.get $o) (local.get $k))))
            (f32.store
              (i32.add (i32.add (i32.add (i32.add (local.get $dx) (local.get $p0)) (local.get $row)) (local.get $pixel))
                       (local.get $k))
              (select (local.get $sg) (f32.const 0) (local.get $sm3)))
            (f32.store
              (i32.add (i32.add (i32.add (local.get $dx) (local.get $p0)) (local.get $row)) (local.get $k))
              (select (local.get $sg) (f32.const 0)
                (i32.and (local.get $sm2) (i32.eqz (local.get $sm3)))))
            (f32.store
              (i32.add (i32.add (i32.add (local.get $dx) (local.get $p0)) (local.get $pixel)) (local.get $k))
              (select (local.get $sg) (f32.const 0)
                (i32.and (local.get $sm1) (i32.eqz (i32.or (local.get $sm2) (local.get $sm3))))))
            (f32.store
              (i32.add (i32.add (local.get $dx) (local.get $p0)) (local.get $k))
              (select (local.get $sg) (f32.const 0)
                (i32.and (local.get $sok0)
                  (i32.eqz (i32.or (local.get $sm1) (i32.or (local.get $sm2) (local.get $sm3)))))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $eachTail)))
          ;; Next window: two pixels right; the next dy pixel.
          (local.set $p0 (i32.add (local.get $p0) (i32.shl (local.get $pixel) (i32.const 1))))
          (local.set $o (i32.add (local.get $o) (local.get $pixel)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $eachJ)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $eachI)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $eachB))))

  ;; out[N] = the column sums of x [R×N] (a bias gradient: dy summed over every axis but the last). Each column
  ;; sums in float32 over blocks of 256 rows, four rows at a time into four partial sums (independent
  ;; additions), and the blocks' sums add up in float64: as exact as the float64 loop for any R.
  (func (export "columnSums")
    (param $out i32) (param $x i32) (param $rows i32) (param $n i32)
    (local $n0 i32) (local $r i32) (local $end i32) (local $p i32) (local $rowBytes i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $lo v128) (local $hi v128)
    (local $s f32) (local $total f64)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $n0 (i32.const 0))
    (block $doneN (loop $eachN
      (br_if $doneN (i32.gt_u (i32.add (local.get $n0) (i32.const 4)) (local.get $n)))
      (local.set $lo (v128.const i32x4 0 0 0 0))
      (local.set $hi (v128.const i32x4 0 0 0 0))
      (local.set $p (i32.add (local.get $x) (i32.shl (local.get $n0) (i32.const 2))))
      (local.set $r (i32.const 0))
      (block $doneBlocks (loop $eachBlock
        (br_if $doneBlocks (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $end (i32.add (local.get $r) (i32.const 256)))
        (if (i32.gt_u (local.get $end) (local.get $rows)) (then (local.set $end (local.get $rows))))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (block $doneFours (loop $eachFour
          (br_if $doneFours (i32.gt_u (i32.add (local.get $r) (i32.const 4)) (local.get $end)))
          (local.set $a0 (f32x4.add (local.get $a0) (v128.load (local.get $p))))
          (local.set $a1 (f32x4.add (local.get $a1) (v128.load (i32.add (local.get $p) (local.get $rowBytes)))))
          (local.set $a2 (f32x4.add (local.get $a2)
            (v128.load (i32.add (local.get $p) (i32.shl (local.get $rowBytes) (i32.const 1))))))
          (local.set $a3 (f32x4.add (local.get $a3)
            (v128.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 3))))))
          (local.set $p (i32.add (local.get $p) (i32.shl (local.get $rowBytes) (i32.const 2))))
          (local.set $r (i32.add (local.get $r) (i32.const 4)))
          (br $eachFour)))
        (block $doneOnes (loop $eachOne
          (br_if $doneOnes (i32.ge_u (local.get $r) (local.get $end)))
          (local.set $a0 (f32x4.add (local.get $a0) (v128.load (local.get $p))))
          (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $eachOne)))
        (local.set $a0 (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3))))
        (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $a0))))
        (local.set $hi (f64x2.add (local.get $hi) (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a0) (local.get $a0)))))
        (br $eachBlock)))
      (v128.store (i32.add (local.get $out) (i32.shl (local.get $n0) (i32.const 2)))
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
      (local.set $n0 (i32.add (local.get $n0) (i32.const 4)))
      (br $eachN)))
    ;; Columns left over (N not a multiple of 4), one at a time, by the same blocks.
    (block $doneTail (loop $eachTail
      (br_if $doneTail (i32.ge_u (local.get $n0) (local.get $n)))
      (local.set $total (f64.const 0))
      (local.set $p (i32.add (local.get $x) (i32.shl (local.get $n0) (i32.const 2))))
      (local.set $r (i32.const 0))
      (block $doneBlocks1 (loop $eachBlock1
        (br_if $doneBlocks1 (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $end (i32.add (local.get $r) (i32.const 256)))
        (if (i32.gt_u (local.get $end) (local.get $rows)) (then (local.set $end (local.get $rows))))
        (local.set $s (f32.const 0))
        (block $doneRows (loop $eachRow
          (br_if $doneRows (i32.ge_u (local.get $r) (local.get $end)))
          (local.set $s (f32.add (local.get $s) (f32.load (local.get $p))))
          (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $eachRow)))
        (local.set $total (f64.add (local.get $total) (f64.promote_f32 (local.get $s))))
        (br $eachBlock1)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $n0) (i32.const 2))) (f32.demote_f64 (local.get $total)))
      (local.set $n0 (i32.add (local.get $n0) (i32.const 1)))
      (br $eachTail))))

  ;; One filter tap's share of a convolution's filter gradient, with stride, dilation and padding:
  ;;   dW[kh, kw] [Ci × Co] (+)= Σ_b Σ_{oh, ow} x[b, ih, iw, :]ᵀ ⊗ dy[b, oh, ow, :]
  ;; over the output pixels whose input pixel (ih, iw) = (oh·sh + kh·dh − top, ow·sw + kw·dw − left) lies in
  ;; the image: a rectangle of hCount × wCount pixels, which the caller works out (wasmConvFilter.ts). `a`
  ;; and `d` point at that rectangle's first pixel in x and dy for sample 0; aImage, dImage (a sample), aRow
  ;; (the next oh), aCol (the next ow) and dRow (the next oh in dy) are byte steps. Co must be a multiple of 4.
  ;; Sample by sample (its pixels stay in cache), every block of 4 input channels × 8 output channels (then
  ;; 4) runs over the sample's pixels with its accumulators in registers.
  (func $convFilterGradTap (export "convFilterGradTap")
    (param $c i32) (param $a i32) (param $d i32) (param $batch i32) (param $aImage i32) (param $dImage i32)
    (param $aRow i32) (param $aCol i32) (param $dRow i32) (param $hCount i32) (param $wCount i32)
    (param $ci i32) (param $co i32) (param $accumulate i32)
    (local $b i32) (local $k0 i32) (local $n0 i32) (local $cRow i32) (local $pa i32) (local $pd i32) (local $pc i32)
    (local.set $cRow (i32.shl (local.get $co) (i32.const 2)))
    (if (i32.eqz (local.get $accumulate))
      (then (memory.fill (local.get $c) (i32.const 0) (i32.mul (local.get $ci) (local.get $cRow)))))
    (if (i32.or (i32.eqz (local.get $hCount)) (i32.eqz (local.get $wCount))) (then (return)))
    (local.set $b (i32.const 0))
    (block $doneB (loop $eachB
      (br_if $doneB (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $k0 (i32.const 0))
      (block $doneK (loop $eachK
        (br_if $doneK (i32.ge_u (local.get $k0) (local.get $ci)))
        (local.set $pa (i32.add (i32.add (local.get $a) (i32.mul (local.get $b) (local.get $aImage)))
          (i32.shl (local.get $k0) (i32.const 2))))
        (local.set $n0 (i32.const 0))
        (block $doneN (loop $eachN
          (br_if $doneN (i32.ge_u (local.get $n0) (local.get $co)))
          (local.set $pc (i32.add (local.get $c)
            (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $co)) (local.get $n0)) (i32.const 2))))
          (local.set $pd (i32.add (i32.add (local.get $d) (i32.mul (local.get $b) (local.get $dImage)))
            (i32.shl (local.get $n0) (i32.const 2))))
          (if (i32.le_u (i32.add (local.get $k0) (i32.const 4)) (local.get $ci))
            (then
              (if (i32.le_u (i32.add (local.get $n0) (i32.const 8)) (local.get $co))
                (then
                  (call $tap4x8 (local.get $pc) (local.get $pa) (local.get $pd) (local.get $aRow) (local.get $aCol)
                    (local.get $dRow) (local.get $hCount) (local.get $wCount) (local.get $cRow) (local.get $cRow))
                  (local.set $n0 (i32.add (local.get $n0) (i32.const 8))))
                (else
                  (call $tap4x4 (local.get $pc) (local.get $pa) (local.get $pd) (local.get $aRow) (local.get $aCol)
                    (local.get $dRow) (local.get $hCount) (local.get $wCount) (local.get $cRow) (local.get $cRow))
                  (local.set $n0 (i32.add (local.get $n0) (i32.const 4))))))
            (else
              (if (i32.le_u (i32.add (local.get $n0) (i32.const 8)) (local.get $co))
                (then
                  (call $tap1x8 (local.get $pc) (local.get $pa) (local.get $pd) (local.get $aRow) (local.get $aCol)
                    (local.get $dRow) (local.get $hCount) (local.get $wCount) (local.get $cRow) (local.get $cRow))
                  (local.set $n0 (i32.add (local.get $n0) (i32.const 8))))
                (else
                  (call $tap1x4 (local.get $pc) (local.get $pa) (local.get $pd) (local.get $aRow) (local.get $aCol)
                    (local.get $dRow) (local.get $hCount) (local.get $wCount) (local.get $cRow) (local.get $cRow))
                  (local.set $n0 (i32.add (local.get $n0) (i32.const 4)))))))
          (br $eachN)))
        (local.set $k0 (i32.add (local.get $k0)
          (select (i32.const 4) (i32.const 1) (i32.le_u (i32.add (local.get $k0) (i32.const 4)) (local.get $ci)))))
        (br $eachK)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $eachB))))

  ;; One 4×8 block of a tap's dW (rows k of Ci, columns n of Co) over one sample's output pixels:
  ;; 8 accumulators, loaded from and stored back to dW.
  (func $tap4x8
    (param $c i32) (param $a i32) (param $d i32) (param $aRow i32) (param $aCol i32) (param $dRow i32)
    (param $hCount i32) (param $wCount i32) (param $cRow i32) (param $dCol i32)
    (local $i i32) (local $j i32) (local $pa i32) (local $pd i32) (local $s v128)
    (local $d0 v128) (local $d1 v128)
    (local $acc0_0 v128) (local $acc0_1 v128) (local $acc1_0 v128) (local $acc1_1 v128) (local $acc2_0 v128) (local $acc2_1 v128) (local $acc3_0 v128) (local $acc3_1 v128)
    (local.set $acc0_0 (v128.load (local.get $c)))
    (local.set $acc0_1 (v128.load offset=16 (local.get $c)))
    (local.set $acc1_0 (v128.load (i32.add (local.get $c) (local.get $cRow))))
    (local.set $acc1_1 (v128.load offset=16 (i32.add (local.get $c) (local.get $cRow))))
    (local.set $acc2_0 (v128.load (i32.add (local.get $c) (i32.shl (local.get $cRow) (i32.const 1)))))
    (local.set $acc2_1 (v128.load offset=16 (i32.add (local.get $c) (i32.shl (local.get $cRow) (i32.const 1)))))
    (local.set $acc3_0 (v128.load (i32.add (local.get $c) (i32.mul (local.get $cRow) (i32.const 3)))))
    (local.set $acc3_1 (v128.load offset=16 (i32.add (local.get $c) (i32.mul (local.get $cRow) (i32.const 3)))))
    (local.set $i (local.get $hCount))
    (block $doneRows (loop $eachRow
      (local.set $pa (local.get $a))
      (local.set $pd (local.get $d))
      (local.set $j (local.get $wCount))
      (block $donePixels (loop $eachPixel
        (local.set $d0 (v128.load (local.get $pd)))
        (local.set $d1 (v128.load offset=16 (local.get $pd)))
        (local.set $s (v128.load32_splat (local.get $pa)))
        (local.set $acc0_0 (f32x4.add (local.get $acc0_0) (f32x4.mul (local.get $s) (local.get $d0))))
        (local.set $acc0_1 (f32x4.add (local.get $acc0_1) (f32x4.mul (local.get $s) (local.get $d1))))
        (local.set $s (v128.load32_splat offset=4 (local.get $pa)))
        (local.set $acc1_0 (f32x4.add (local.get $acc1_0) (f32x4.mul (local.get $s) (local.get $d0))))
        (local.set $acc1_1 (f32x4.add (local.get $acc1_1) (f32x4.mul (local.get $s) (local.get $d1))))
        (local.set $s (v128.load32_splat offset=8 (local.get $pa)))
        (local.set $acc2_0 (f32x4.add (local.get $acc2_0) (f32x4.mul (local.get $s) (local.get $d0))))
        (local.set $acc2_1 (f32x4.add (local.get $acc2_1) (f32x4.mul (local.get $s) (local.get $d1))))
        (local.set $s (v128.load32_splat offset=12 (local.get $pa)))
        (local.set $acc3_0 (f32x4.add (local.get $acc3_0) (f32x4.mul (local.get $s) (local.get $d0))))
        (local.set $acc3_1 (f32x4.add (local.get $acc3_1) (f32x4.mul (local.get $s) (local.get $d1))))
        (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
        (local.set $pd (i32.add (local.get $pd) (local.get $dCol)))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br_if $eachPixel (local.get $j))))
      (local.set $a (i32.add (local.get $a) (local.get $aRow)))
      (local.set $d (i32.add (local.get $d) (local.get $dRow)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $eachRow (local.get $i))))
    (v128.store (local.get $c) (local.get $acc0_0))
    (v128.store offset=16 (local.get $c) (local.get $acc0_1))
    (v128.store (i32.add (local.get $c) (local.get $cRow)) (local.get $acc1_0))
    (v128.store offset=16 (i32.add (local.get $c) (local.get $cRow)) (local.get $acc1_1))
    (v128.store (i32.add (local.get $c) (i32.shl (local.get $cRow) (i32.const 1))) (local.get $acc2_0))
    (v128.store offset=16 (i32.add (local.get $c) (i32.shl (local.get $cRow) (i32.const 1))) (local.get $acc2_1))
    (v128.store (i32.add (local.get $c) (i32.mul (local.get $cRow) (i32.const 3))) (local.get $acc3_0))
    (v128.store offset=16 (i32.add (local.get $c) (i32.mul (local.get $cRow) (i32.const 3))) (local.get $acc3_1)))

  ;; One 4×4 block of a tap's dW (rows k of Ci, columns n of Co) over one sample's output pixels:
  ;; 4 accumulators, loaded from and stored back to dW.
  (func $tap4x4
    (param $c i32) (param $a i32) (param $d i32) (param $aRow i32) (param $aCol i32) (param $dRow i32)
    (param $hCount i32) (param $wCount i32) (param $cRow i32) (param $dCol i32)
    (local $i i32) (local $j i32) (local $pa i32) (local $pd i32) (local $s v128)
    (local $d0 v128)
    (local $acc0_0 v128) (local $acc1_0 v128) (local $acc2_0 v128) (local $acc3_0 v128)
    (local.set $acc0_0 (v128.load (local.get $c)))
    (local.set $acc1_0 (v128.load (i32.add (local.get $c) (local.get $cRow))))
    (local.set $acc2_0 (v128.load (i32.add (local.get $c) (i32.shl (local.get $cRow) (i32.const 1)))))
    (local.set $acc3_0 (v128.load (i32.add (local.get $c) (i32.mul (local.get $cRow) (i32.const 3)))))
    (local.set $i (local.get $hCount))
    (block $doneRows (loop $eachRow
      (local.set $pa (local.get $a))
      (local.set $pd (local.get $d))
      (local.set $j (local.get $wCount))
      (block $donePixels (loop $eachPixel
        (local.set $d0 (v128.load (local.get $pd)))
        (local.set $s (v128.load32_splat (local.get $pa)))
        (local.set $acc0_0 (f32x4.add (local.get $acc0_0) (f32x4.mul (local.get $s) (local.get $d0))))
        (local.set $s (v128.load32_splat offset=4 (local.get $pa)))
        (local.set $acc1_0 (f32x4.add (local.get $acc1_0) (f32x4.mul (local.get $s) (local.get $d0))))
        (local.set $s (v128.load32_splat offset=8 (local.get $pa)))
        (local.set $acc2_0 (f32x4.add (local.get $acc2_0) (f32x4.mul (local.get $s) (local.get $d0))))
        (local.set $s (v128.load32_splat offset=12 (local.get $pa)))
        (local.set $acc3_0 (f32x4.add (local.get $acc3_0) (f32x4.mul (local.get $s) (local.get $d0))))
        (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
        (local.set $pd (i32.add (local.get $pd) (local.get $dCol)))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br_if $eachPixel (local.get $j))))
      (local.set $a (i32.add (local.get $a) (local.get $aRow)))
      (local.set $d (i32.add (local.get $d) (local.get $dRow)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $eachRow (local.get $i))))
    (v128.store (local.get $c) (local.get $acc0_0))
    (v128.store (i32.add (local.get $c) (local.get $cRow)) (local.get $acc1_0))
    (v128.store (i32.add (local.get $c) (i32.shl (local.get $cRow) (i32.const 1))) (local.get $acc2_0))
    (v128.store (i32.add (local.get $c) (i32.mul (local.get $cRow) (i32.const 3))) (local.get $acc3_0)))

  ;; One 1×8 block of a tap's dW (rows k of Ci, columns n of Co) over one sample's output pixels:
  ;; 2 accumulators, loaded from and stored back to dW.
  (func $tap1x8
    (param $c i32) (param $a i32) (param $d i32) (param $aRow i32) (param $aCol i32) (param $dRow i32)
    (param $hCount i32) (param $wCount i32) (param $cRow i32) (param $dCol i32)
    (local $i i32) (local $j i32) (local $pa i32) (local $pd i32) (local $s v128)
    (local $d0 v128) (local $d1 v128)
    (local $acc0_0 v128) (local $acc0_1 v128)
    (local.set $acc0_0 (v128.load (local.get $c)))
    (local.set $acc0_1 (v128.load offset=16 (local.get $c)))
    (local.set $i (local.get $hCount))
    (block $doneRows (loop $eachRow
      (local.set $pa (local.get $a))
      (local.set $pd (local.get $d))
      (local.set $j (local.get $wCount))
      (block $donePixels (loop $eachPixel
        (local.set $d0 (v128.load (local.get $pd)))
        (local.set $d1 (v128.load offset=16 (local.get $pd)))
        (local.set $s (v128.load32_splat (local.get $pa)))
        (local.set $acc0_0 (f32x4.add (local.get $acc0_0) (f32x4.mul (local.get $s) (local.get $d0))))
        (local.set $acc0_1 (f32x4.add (local.get $acc0_1) (f32x4.mul (local.get $s) (local.get $d1))))
        (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
        (local.set $pd (i32.add (local.get $pd) (local.get $dCol)))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br_if $eachPixel (local.get $j))))
      (local.set $a (i32.add (local.get $a) (local.get $aRow)))
      (local.set $d (i32.add (local.get $d) (local.get $dRow)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $eachRow (local.get $i))))
    (v128.store (local.get $c) (local.get $acc0_0))
    (v128.store offset=16 (local.get $c) (local.get $acc0_1)))

  ;; One 1×4 block of a tap's dW (rows k of Ci, columns n of Co) over one sample's output pixels:
  ;; 1 accumulators, loaded from and stored back to dW.
  (func $tap1x4
    (param $c i32) (param $a i32) (param $d i32) (param $aRow i32) (param $aCol i32) (param $dRow i32)
    (param $hCount i32) (param $wCount i32) (param $cRow i32) (param $dCol i32)
    (local $i i32) (local $j i32) (local $pa i32) (local $pd i32) (local $s v128)
    (local $d0 v128)
    (local $acc0_0 v128)
    (local.set $acc0_0 (v128.load (local.get $c)))
    (local.set $i (local.get $hCount))
    (block $doneRows (loop $eachRow
      (local.set $pa (local.get $a))
      (local.set $pd (local.get $d))
      (local.set $j (local.get $wCount))
      (block $donePixels (loop $eachPixel
        (local.set $d0 (v128.load (local.get $pd)))
        (local.set $s (v128.load32_splat (local.get $pa)))
        (local.set $acc0_0 (f32x4.add (local.get $acc0_0) (f32x4.mul (local.get $s) (local.get $d0))))
        (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
        (local.set $pd (i32.add (local.get $pd) (local.get $dCol)))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br_if $eachPixel (local.get $j))))
      (local.set $a (i32.add (local.get $a) (local.get $aRow)))
      (local.set $d (i32.add (local.get $d) (local.get $dRow)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $eachRow (local.get $i))))
    (v128.store (local.get $c) (local.get $acc0_0))
)


  ;; Adam's moments, as tfjs computes them in float32: out = m·decay + g·rest, or with g·g where `squared` is 1
  ;; (rest = 1 − decay, rounded to float32 by the caller). n values.
  (func (export "adamMoment")
    (param $out i32) (param $m i32) (param $g i32) (param $n i32) (param $decay f32) (param $rest f32)
    (param $squared i32)
    (local $i i32) (local $vecEnd i32) (local $d v128) (local $r v128) (local $gv v128) (local $gs f32)
    (local.set $d (f32x4.splat (local.get $decay)))
    (local.set $r (f32x4.splat (local.get $rest)))
    (local.set $vecEnd (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $doneVec (loop $eachVec
      (br_if $doneVec (i32.ge_u (local.get $i) (local.get $vecEnd)))
      (local.set $gv (v128.load (i32.add (local.get $g) (local.get $i))))
      (if (local.get $squared) (then (local.set $gv (f32x4.mul (local.get $gv) (local.get $gv)))))
      (v128.store (i32.add (local.get $out) (local.get $i))
        (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $i))) (local.get $d))
                   (f32x4.mul (local.get $gv) (local.get $r))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $eachVec)))
    (block $doneTail (loop $eachTail
      (br_if $doneTail (i32.ge_u (local.get $i) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $gs (f32.load (i32.add (local.get $g) (local.get $i))))
      (if (local.get $squared) (then (local.set $gs (f32.mul (local.get $gs) (local.get $gs)))))
      (f32.store (i32.add (local.get $out) (local.get $i))
        (f32.add (f32.mul (f32.load (i32.add (local.get $m) (local.get $i))) (local.get $decay))
                 (f32.mul (local.get $gs) (local.get $rest))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $eachTail))))

  ;; Adam's new value, as tfjs computes it in float32: out = w + ((m / c1) / (√(v / c2) + ε))·negLr, with the
  ;; bias corrections c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ and negLr = −learning rate. n values.
  (func (export "adamStep")
    (param $out i32) (param $w i32) (param $m i32) (param $v i32) (param $n i32)
    (param $c1 f32) (param $c2 f32) (param $epsilon f32) (param $negLr f32)
    (local $i i32) (local $vecEnd i32) (local $vc1 v128) (local $vc2 v128) (local $veps v128) (local $vlr v128)
    (local.set $vc1 (f32x4.splat (local.get $c1)))
    (local.set $vc2 (f32x4.splat (local.get $c2)))
    (local.set $veps (f32x4.splat (local.get $epsilon)))
    (local.set $vlr (f32x4.splat (local.get $negLr)))
    (local.set $vecEnd (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $doneVec (loop $eachVec
      (br_if $doneVec (i32.ge_u (local.get $i) (local.get $vecEnd)))
      (v128.store (i32.add (local.get $out) (local.get $i))
        (f32x4.add
          (f32x4.mul
            (f32x4.div
              (f32x4.div (v128.load (i32.add (local.get $m) (local.get $i))) (local.get $vc1))
              (f32x4.add (f32x4.sqrt (f32x4.div (v128.load (i32.add (local.get $v) (local.get $i))) (local.get $vc2)))
                         (local.get $veps)))
            (local.get $vlr))
          (v128.load (i32.add (local.get $w) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $eachVec)))
    (block $doneTail (loop $eachTail
      (br_if $doneTail (i32.ge_u (local.get $i) (i32.shl (local.get $n) (i32.const 2))))
      (f32.store (i32.add (local.get $out) (local.get $i))
        (f32.add
          (f32.mul
            (f32.div
              (f32.div (f32.load (i32.add (local.get $m) (local.get $i))) (local.get $c1))
              (f32.add (f32.sqrt (f32.div (f32.load (i32.add (local.get $v) (local.get $i))) (local.get $c2)))
                       (local.get $epsilon)))
            (local.get $negLr))
          (f32.load (i32.add (local.get $w) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $eachTail))))

  ;; A convolution over a zero-bordered x (the caller pads it), NHWC, filter [KH, KW, Ci, Co], any stride and
  ;; dilation:  y[b, r, q, :] = Σ_{kh, kw, ci} x[b, r·sh + kh·dh, q·sw + kw·dw, ci] · w[kh, kw, ci, :]
  ;; Co must be a multiple of 4. Each block of 4 output pixels of a row × 8 output channels (then 4) keeps
  ;; its sums in registers over the taps and input channels; a row whose width is not a multiple of 4 ends
  ;; with a block that overlaps the one before it (the same sums, computed the same way, written again), or
  ;; where one pixel is left, with that pixel alone; rows narrower than 4 pixels go one pixel at a time. x's real pixels are rows [top, top + validH) and
  ;; columns [left, left + validW): taps that meet only the zero border (for a whole row, or for all 4 pixels
  ;; of a block) are skipped, as they add nothing.
  (func $conv2d (export "conv2d")
    (param $y i32) (param $x i32) (param $w i32) (param $batch i32) (param $h i32) (param $width i32) (param $ci i32)
    (param $oh i32) (param $ow i32) (param $co i32) (param $kh i32) (param $kw i32)
    (param $sh i32) (param $sw i32) (param $dh i32) (param $dw i32)
    (param $top i32) (param $left i32) (param $validH i32) (param $validW i32)
    (local $b i32) (local $r i32) (local $q i32) (local $n0 i32) (local $pixel i32) (local $xRow i32)
    (local $yPixel i32) (local $tapRow i32) (local $tapCol i32) (local $step i32) (local $wTap i32)
    (local $rowX i32) (local $rowY i32) (local $px i32) (local $py i32) (local $pw i32) (local $block i32)
    (local $khLo i32) (local $khHi i32) (local $kwLo i32) (local $kwHi i32) (local $khCount i32) (local $kwCount i32)
    (local $wRowSkip i32) (local $first i32) (local $last i32) (local $size i32)
    (local.set $pixel (i32.shl (local.get $ci) (i32.const 2)))
    (local.set $xRow (i32.mul (local.get $width) (local.get $pixel)))
    (local.set $yPixel (i32.shl (local.get $co) (i32.const 2)))
    (local.set $tapRow (i32.mul (local.get $dh) (local.get $xRow)))
    (local.set $tapCol (i32.mul (local.get $dw) (local.get $pixel)))
    (local.set $step (i32.mul (local.get $sw) (local.get $pixel)))
    ;; Bytes of w per tap.
    (local.set $wTap (i32.mul (local.get $ci) (local.get $yPixel)))
    (if (i32.or (i32.eqz (local.get $oh)) (i32.eqz (local.get $ow))) (then (return)))
    (local.set $block (select (i32.const 4) (i32.const 1) (i32.ge_u (local.get $ow) (i32.const 4))))
    (local.set $rowY (local.get $y))
    (local.set $b (i32.const 0))
    (block $doneB (loop $eachB
      (br_if $doneB (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $r (i32.const 0))
      (block $doneR (loop $eachR
        (br_if $doneR (i32.ge_u (local.get $r) (local.get $oh)))
        ;; The tap rows [khLo, khHi) that meet real rows of x.
        (local.set $khLo (i32.const 0))
        (block $found (loop $scan
          (br_if $found (i32.ge_u (local.get $khLo) (local.get $kh)))
          (br_if $found (i32.ge_s (i32.add (i32.mul (local.get $r) (local.get $sh)) (i32.mul (local.get $khLo) (local.get $dh)))
                                  (local.get $top)))
          (local.set $khLo (i32.add (local.get $khLo) (i32.const 1)))
          (br $scan)))
        (local.set $khHi (local.get $kh))
        (block $found (loop $scan
          (br_if $found (i32.le_u (local.get $khHi) (local.get $khLo)))
          (br_if $found (i32.lt_s
            (i32.add (i32.mul (local.get $r) (local.get $sh)) (i32.mul (i32.sub (local.get $khHi) (i32.const 1)) (local.get $dh)))
            (i32.add (local.get $top) (local.get $validH))))
          (local.set $khHi (i32.sub (local.get $khHi) (i32.const 1)))
          (br $scan)))
        (local.set $khCount (i32.sub (local.get $khHi) (local.get $khLo)))
        (local.set $rowX (i32.add (local.get $x)
          (i32.add
            (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (i32.mul (local.get $r) (local.get $sh))) (local.get $xRow))
            (i32.mul (local.get $khLo) (local.get $tapRow)))))
        (local.set $q (i32.const 0))
        (block $donePixels (loop $eachPixels
          (br_if $donePixels (i32.ge_u (local.get $q) (local.get $ow)))
          (local.set $size (local.get $block))
          ;; The last block of a row ends at its last pixel; a single pixel left goes alone (a one-pixel block
          ;; costs about half of the four-pixel block that would compute three pixels again).
          (if (i32.gt_u (i32.add (local.get $q) (local.get $block)) (local.get $ow))
            (then
              (if (i32.eq (i32.sub (local.get $ow) (local.get $q)) (i32.const 1))
                (then (local.set $size (i32.const 1)))
                (else (local.set $q (i32.sub (local.get $ow) (local.get $block)))))))
          ;; The taps [kwLo, kwHi) that meet a real column for at least one pixel of the block.
          (local.set $first (i32.mul (local.get $q) (local.get $sw)))
          (local.set $last (i32.mul (i32.add (local.get $q) (i32.sub (local.get $size) (i32.const 1))) (local.get $sw)))
          (local.set $kwLo (i32.const 0))
          (block $found (loop $scan
            (br_if $found (i32.ge_u (local.get $kwLo) (local.get $kw)))
            (br_if $found (i32.ge_s (i32.add (local.get $last) (i32.mul (local.get $kwLo) (local.get $dw))) (local.get $left)))
            (local.set $kwLo (i32.add (local.get $kwLo) (i32.const 1)))
            (br $scan)))
          (local.set $kwHi (local.get $kw))
          (block $found (loop $scan
            (br_if $found (i32.le_u (local.get $kwHi) (local.get $kwLo)))
            (br_if $found (i32.lt_s
              (i32.add (local.get $first) (i32.mul (i32.sub (local.get $kwHi) (i32.const 1)) (local.get $dw)))
              (i32.add (local.get $left) (local.get $validW))))
            (local.set $kwHi (i32.sub (local.get $kwHi) (i32.const 1)))
            (br $scan)))
          (local.set $kwCount (i32.sub (local.get $kwHi) (local.get $kwLo)))
          (local.set $wRowSkip (i32.mul (i32.sub (local.get $kw) (local.get $kwCount)) (local.get $wTap)))
          (local.set $px (i32.add (i32.add (local.get $rowX) (i32.mul (local.get $q) (local.get $step)))
            (i32.mul (local.get $kwLo) (local.get $tapCol))))
          (local.set $n0 (i32.const 0))
          (block $doneN (loop $eachN
            (br_if $doneN (i32.ge_u (local.get $n0) (local.get $co)))
            (local.set $pw (i32.add (local.get $w)
              (i32.add (i32.mul (i32.add (i32.mul (local.get $khLo) (local.get $kw)) (local.get $kwLo)) (local.get $wTap))
                       (i32.shl (local.get $n0) (i32.const 2)))))
            (local.set $py (i32.add (i32.add (local.get $rowY) (i32.mul (local.get $q) (local.get $yPixel)))
              (i32.shl (local.get $n0) (i32.const 2))))
            (if (i32.eq (local.get $size) (i32.const 4))
              (then
                (if (i32.le_u (i32.add (local.get $n0) (i32.const 8)) (local.get $co))
                  (then (call $conv4x8 (local.get $py) (local.get $px) (local.get $pw) (local.get $ci) (local.get $khCount)
                    (local.get $kwCount) (local.get $tapRow) (local.get $tapCol) (local.get $step) (local.get $yPixel)
                    (local.get $yPixel) (local.get $wRowSkip)))
                  (else (call $conv4x4 (local.get $py) (local.get $px) (local.get $pw) (local.get $ci) (local.get $khCount)
                    (local.get $kwCount) (local.get $tapRow) (local.get $tapCol) (local.get $step) (local.get $yPixel)
                    (local.get $yPixel) (local.get $wRowSkip)))))
              (else
                (if (i32.le_u (i32.add (local.get $n0) (i32.const 8)) (local.get $co))
                  (then (call $conv1x8 (local.get $py) (local.get $px) (local.get $pw) (local.get $ci) (local.get $khCount)
                    (local.get $kwCount) (local.get $tapRow) (local.get $tapCol) (local.get $step) (local.get $yPixel)
                    (local.get $yPixel) (local.get $wRowSkip)))
                  (else (call $conv1x4 (local.get $py) (local.get $px) (local.get $pw) (local.get $ci) (local.get $khCount)
                    (local.get $kwCount) (local.get $tapRow) (local.get $tapCol) (local.get $step) (local.get $yPixel)
                    (local.get $yPixel) (local.get $wRowSkip))))))
            (local.set $n0 (i32.add (local.get $n0)
              (select (i32.const 8) (i32.const 4) (i32.le_u (i32.add (local.get $n0) (i32.const 8)) (local.get $co)))))
            (br $eachN)))
          (local.set $q (i32.add (local.get $q) (local.get $size)))
          (br $eachPixels)))
        (local.set $rowY (i32.add (local.get $rowY) (i32.mul (local.get $ow) (local.get $yPixel))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $eachR)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $eachB))))

  ;; 4 output pixels × 8 output channels: 8 sums over kh × kw taps (a tap row ends by skipping
  ;; wRowSkip bytes of w: the taps left out) and every input channel. kh or kw 0: the sums are 0.
  (func $conv4x8
    (param $y i32) (param $x i32) (param $w i32) (param $ci i32) (param $kh i32) (param $kw i32)
    (param $tapRow i32) (param $tapCol i32) (param $pixel i32) (param $wStep i32) (param $yPixel i32)
    (param $wRowSkip i32)
    (local $i i32) (local $j i32) (local $c i32) (local $row i32) (local $p0 i32)
    (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $s v128) (local $w0 v128) (local $w1 v128)
    (local $acc0_0 v128) (local $acc0_1 v128) (local $acc1_0 v128) (local $acc1_1 v128) (local $acc2_0 v128) (local $acc2_1 v128) (local $acc3_0 v128) (local $acc3_1 v128)
    (block $empty
    (br_if $empty (i32.eqz (i32.mul (local.get $kh) (local.get $kw))))
    (local.set $row (local.get $x))
    (local.set $i (local.get $kh))
    (loop $eachTapRow
      (local.set $p0 (local.get $row))
      (local.set $j (local.get $kw))
      (loop $eachTap
        (local.set $p1 (i32.add (local.get $p0) (local.get $pixel)))
        (local.set $p2 (i32.add (local.get $p1) (local.get $pixel)))
        (local.set $p3 (i32.add (local.get $p2) (local.get $pixel)))
        (local.set $c (local.get $ci))
        (loop $eachChannel
          (local.set $w0 (v128.load (local.get $w)))
          (local.set $w1 (v128.load offset=16 (local.get $w)))
          (local.set $s (v128.load32_splat (local.get $p0)))
          (local.set $acc0_0 (f32x4.add (local.get $acc0_0) (f32x4.mul (local.get $s) (local.get $w0))))
          (local.set $acc0_1 (f32x4.add (local.get $acc0_1) (f32x4.mul (local.get $s) (local.get $w1))))
          (local.set $s (v128.load32_splat (local.get $p1)))
          (local.set $acc1_0 (f32x4.add (local.get $acc1_0) (f32x4.mul (local.get $s) (local.get $w0))))
          (local.set $acc1_1 (f32x4.add (local.get $acc1_1) (f32x4.mul (local.get $s) (local.get $w1))))
          (local.set $s (v128.load32_splat (local.get $p2)))
          (local.set $acc2_0 (f32x4.add (local.get $acc2_0) (f32x4.mul (local.get $s) (local.get $w0))))
          (local.set $acc2_1 (f32x4.add (local.get $acc2_1) (f32x4.mul (local.get $s) (local.get $w1))))
          (local.set $s (v128.load32_splat (local.get $p3)))
          (local.set $acc3_0 (f32x4.add (local.get $acc3_0) (f32x4.mul (local.get $s) (local.get $w0))))
          (local.set $acc3_1 (f32x4.add (local.get $acc3_1) (f32x4.mul (local.get $s) (local.get $w1))))
          (local.set $p0 (i32.add (local.get $p0) (i32.const 4)))
          (local.set $p1 (i32.add (local.get $p1) (i32.const 4)))
          (local.set $p2 (i32.add (local.get $p2) (i32.const 4)))
          (local.set $p3 (i32.add (local.get $p3) (i32.const 4)))
          (local.set $w (i32.add (local.get $w) (local.get $wStep)))
          (local.set $c (i32.sub (local.get $c) (i32.const 1)))
          (br_if $eachChannel (local.get $c)))
        ;; The next tap along the row: back over the channels just read, then one dilated column on.
        (local.set $p0 (i32.add (i32.sub (local.get $p0) (i32.shl (local.get $ci) (i32.const 2))) (local.get $tapCol)))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br_if $eachTap (local.get $j)))
      (local.set $w (i32.add (local.get $w) (local.get $wRowSkip)))
      (local.set $row (i32.add (local.get $row) (local.get $tapRow)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $eachTapRow (local.get $i))))
    (v128.store (local.get $y) (local.get $acc0_0))
    (v128.store offset=16 (local.get $y) (local.get $acc0_1))
    (v128.store (i32.add (local.get $y) (local.get $yPixel)) (local.get $acc1_0))
    (v128.store offset=16 (i32.add (local.get $y) (local.get $yPixel)) (local.get $acc1_1))
    (v128.store (i32.add (local.get $y) (i32.mul (local.get $yPixel) (i32.const 2))) (local.get $acc2_0))
    (v128.store offset=16 (i32.add (local.get $y) (i32.mul (local.get $yPixel) (i32.const 2))) (local.get $acc2_1))
    (v128.store (i32.add (local.get $y) (i32.mul (local.get $yPixel) (i32.const 3))) (local.get $acc3_0))
    (v128.store offset=16 (i32.add (local.get $y) (i32.mul (local.get $yPixel) (i32.const 3))) (local.get $acc3_1)))

  ;; 4 output pixels × 4 output channels: 4 sums over kh × kw taps (a tap row ends by skipping
  ;; wRowSkip bytes of w: the taps left out) and every input channel. kh or kw 0: the sums are 0.
  (func $conv4x4
    (param $y i32) (param $x i32) (param $w i32) (param $ci i32) (param $kh i32) (param $kw i32)
    (param $tapRow i32) (param $tapCol i32) (param $pixel i32) (param $wStep i32) (param $yPixel i32)
    (param $wRowSkip i32)
    (local $i i32) (local $j i32) (local $c i32) (local $row i32) (local $p0 i32)
    (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $s v128) (local $w0 v128)
    (local $acc0_0 v128) (local $acc1_0 v128) (local $acc2_0 v128) (local $acc3_0 v128)
    (block $empty
    (br_if $empty (i32.eqz (i32.mul (local.get $kh) (local.get $kw))))
    (local.set $row (local.get $x))
    (local.set $i (local.get $kh))
    (loop $eachTapRow
      (local.set $p0 (local.get $row))
      (local.set $j (local.get $kw))
      (loop $eachTap
        (local.set $p1 (i32.add (local.get $p0) (local.get $pixel)))
        (local.set $p2 (i32.add (local.get $p1) (local.get $pixel)))
        (local.set $p3 (i32.add (local.get $p2) (local.get $pixel)))
        (local.set $c (local.get $ci))
        (loop $eachChannel
          (local.set $w0 (v128.load (local.get $w)))
          (local.set $s (v128.load32_splat (local.get $p0)))
          (local.set $acc0_0 (f32x4.add (local.get $acc0_0) (f32x4.mul (local.get $s) (local.get $w0))))
          (local.set $s (v128.load32_splat (local.get $p1)))
          (local.set $acc1_0 (f32x4.add (local.get $acc1_0) (f32x4.mul (local.get $s) (local.get $w0))))
          (local.set $s (v128.load32_splat (local.get $p2)))
          (local.set $acc2_0 (f32x4.add (local.get $acc2_0) (f32x4.mul (local.get $s) (local.get $w0))))
          (local.set $s (v128.load32_splat (local.get $p3)))
          (local.set $acc3_0 (f32x4.add (local.get $acc3_0) (f32x4.mul (local.get $s) (local.get $w0))))
          (local.set $p0 (i32.add (local.get $p0) (i32.const 4)))
          (local.set $p1 (i32.add (local.get $p1) (i32.const 4)))
          (local.set $p2 (i32.add (local.get $p2) (i32.const 4)))
          (local.set $p3 (i32.add (local.get $p3) (i32.const 4)))
          (local.set $w (i32.add (local.get $w) (local.get $wStep)))
          (local.set $c (i32.sub (local.get $c) (i32.const 1)))
          (br_if $eachChannel (local.get $c)))
        ;; The next tap along the row: back over the channels just read, then one dilated column on.
        (local.set $p0 (i32.add (i32.sub (local.get $p0) (i32.shl (local.get $ci) (i32.const 2))) (local.get $tapCol)))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br_if $eachTap (local.get $j)))
      (local.set $w (i32.add (local.get $w) (local.get $wRowSkip)))
      (local.set $row (i32.add (local.get $row) (local.get $tapRow)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $eachTapRow (local.get $i))))
    (v128.store (local.get $y) (local.get $acc0_0))
    (v128.store (i32.add (local.get $y) (local.get $yPixel)) (local.get $acc1_0))
    (v128.store (i32.add (local.get $y) (i32.mul (local.get $yPixel) (i32.const 2))) (local.get $acc2_0))
    (v128.store (i32.add (local.get $y) (i32.mul (local.get $yPixel) (i32.const 3))) (local.get $acc3_0)))

  ;; 1 output pixel × 8 output channels: 2 sums over kh × kw taps (a tap row ends by skipping
  ;; wRowSkip bytes of w: the taps left out) and every input channel. kh or kw 0: the sums are 0.
  (func $conv1x8
    (param $y i32) (param $x i32) (param $w i32) (param $ci i32) (param $kh i32) (param $kw i32)
    (param $tapRow i32) (param $tapCol i32) (param $pixel i32) (param $wStep i32) (param $yPixel i32)
    (param $wRowSkip i32)
    (local $i i32) (local $j i32) (local $c i32) (local $row i32) (local $p0 i32)
    (local $s v128) (local $w0 v128) (local $w1 v128)
    (local $acc0_0 v128) (local $acc0_1 v128)
    (block $empty
    (br_if $empty (i32.eqz (i32.mul (local.get $kh) (local.get $kw))))
    (local.set $row (local.get $x))
    (local.set $i (local.get $kh))
    (loop $eachTapRow
      (local.set $p0 (local.get $row))
      (local.set $j (local.get $kw))
      (loop $eachTap
        (local.set $c (local.get $ci))
        (loop $eachChannel
          (local.set $w0 (v128.load (local.get $w)))
          (local.set $w1 (v128.load offset=16 (local.get $w)))
          (local.set $s (v128.load32_splat (local.get $p0)))
          (local.set $acc0_0 (f32x4.add (local.get $acc0_0) (f32x4.mul (local.get $s) (local.get $w0))))
          (local.set $acc0_1 (f32x4.add (local.get $acc0_1) (f32x4.mul (local.get $s) (local.get $w1))))
          (local.set $p0 (i32.add (local.get $p0) (i32.const 4)))
          (local.set $w (i32.add (local.get $w) (local.get $wStep)))
          (local.set $c (i32.sub (local.get $c) (i32.const 1)))
          (br_if $eachChannel (local.get $c)))
        ;; The next tap along the row: back over the channels just read, then one dilated column on.
        (local.set $p0 (i32.add (i32.sub (local.get $p0) (i32.shl (local.get $ci) (i32.const 2))) (local.get $tapCol)))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br_if $eachTap (local.get $j)))
      (local.set $w (i32.add (local.get $w) (local.get $wRowSkip)))
      (local.set $row (i32.add (local.get $row) (local.get $tapRow)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $eachTapRow (local.get $i))))
    (v128.store (local.get $y) (local.get $acc0_0))
    (v128.store offset=16 (local.get $y) (local.get $acc0_1)))

  ;; 1 output pixel × 4 output channels: 1 sums over kh × kw taps (a tap row ends by skipping
  ;; wRowSkip bytes of w: the taps left out) and every input channel. kh or kw 0: the sums are 0.
  (func $conv1x4
    (param $y i32) (param $x i32) (param $w i32) (param $ci i32) (param $kh i32) (param $kw i32)
    (param $tapRow i32) (param $tapCol i32) (param $pixel i32) (param $wStep i32) (param $yPixel i32)
    (param $wRowSkip i32)
    (local $i i32) (local $j i32) (local $c i32) (local $row i32) (local $p0 i32)
    (local $s v128) (local $w0 v128)
    (local $acc0_0 v128)
    (block $empty
    (br_if $empty (i32.eqz (i32.mul (local.get $kh) (local.get $kw))))
    (local.set $row (local.get $x))
    (local.set $i (local.get $kh))
    (loop $eachTapRow
      (local.set $p0 (local.get $row))
      (local.set $j (local.get $kw))
      (loop $eachTap
        (local.set $c (local.get $ci))
        (loop $eachChannel
          (local.set $w0 (v128.load (local.get $w)))
          (local.set $s (v128.load32_splat (local.get $p0)))
          (local.set $acc0_0 (f32x4.add (local.get $acc0_0) (f32x4.mul (local.get $s) (local.get $w0))))
          (local.set $p0 (i32.add (local.get $p0) (i32.const 4)))
          (local.set $w (i32.add (local.get $w) (local.get $wStep)))
          (local.set $c (i32.sub (local.get $c) (i32.const 1)))
          (br_if $eachChannel (local.get $c)))
        ;; The next tap along the row: back over the channels just read, then one dilated column on.
        (local.set $p0 (i32.add (i32.sub (local.get $p0) (i32.shl (local.get $ci) (i32.const 2))) (local.get $tapCol)))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br_if $eachTap (local.get $j)))
      (local.set $w (i32.add (local.get $w) (local.get $wRowSkip)))
      (local.set $row (i32.add (local.get $row) (local.get $tapRow)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $eachTapRow (local.get $i))))
    (v128.store (local.get $y) (local.get $acc0_0)))

  ;; Winograd's minimal filtering for 3×3 convolutions with stride 1 and no dilation (Lavin and Gray, "Fast
  ;; Algorithms for Convolutional Neural Networks", 2016): F(2×2, 3×3) for the convolution (and so the input
  ;; gradient), F(3×3, 2×2) for the filter gradient. A 2×2 block of output pixels (a tile) over its 4×4 input
  ;; window costs 16 products per input and output channel instead of 36; the products of all tiles are 16
  ;; matrix products, one per point ξ of the 4×4 transformed window, done by the kernels above. The transforms
  ;; work on 4 channels at a time (one v128), in two passes through a 4×4 block of vectors at `tmp` (row i,
  ;; column j at tmp + i·64 + j·16): the columns, then the rows. Ci and Co must be multiples of 4.

  ;; One image (h × w pixels of `pixel` bytes) copied into a zero-bordered dh × dw image with `top` rows
  ;; and `left` columns of zeros before it (and what is left after it): the transforms below then read every
  ;; window from inside an image, with no test per pixel. Rows or columns that fall past dh or dw are left out.
  (func $padImage
    (param $dst i32) (param $src i32) (param $h i32) (param $w i32) (param $top i32) (param $left i32)
    (param $dh i32) (param $dw i32) (param $pixel i32)
    (local $r i32) (local $to i32) (local $length i32)
    (memory.fill (local.get $dst) (i32.const 0) (i32.mul (i32.mul (local.get $dh) (local.get $dw)) (local.get $pixel)))
    (local.set $length (i32.mul
      (select (local.get $w) (i32.sub (local.get $dw) (local.get $left))
        (i32.le_s (i32.add (local.get $w) (local.get $left)) (local.get $dw)))
      (local.get $pixel)))
    (if (i32.le_s (local.get $length) (i32.const 0)) (then (return)))
    (local.set $r (i32.const 0))
    (block $done (loop $eachRow
      (br_if $done (i32.ge_u (local.get $r) (local.get $h)))
      (br_if $done (i32.ge_s (i32.add (local.get $r) (local.get $top)) (local.get $dh)))
      (local.set $to (i32.add (local.get $dst)
        (i32.mul (i32.add (i32.mul (i32.add (local.get $r) (local.get $top)) (local.get $dw)) (local.get $left))
                 (local.get $pixel))))
      (memory.copy (local.get $to) (i32.add (local.get $src) (i32.mul (i32.mul (local.get $r) (local.get $w)) (local.get $pixel)))
        (local.get $length))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $eachRow))))

  ;; u [16][tiles][Ci] = Bᵀ d B for every tile's 4×4 input window d of one zero-bordered image (x: width
  ;; pixels a row, Ci channels; tile (ty, tx) at row 2·ty, column 2·tx). Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0;
  ;; 0 1 0 −1]: each column (a, b, c, d) of d becomes (a − c, b + c, c − b, b − d), then each row of that the
  ;; same way; point ξ = 4·i + j of the result goes to u + ξ·uStride (uStride = tiles·Ci·4 bytes).
  (func $winogradInput
    (param $u i32) (param $x i32) (param $th i32) (param $tw i32) (param $width i32) (param $ci i32) (param $uStride i32)
    (local $ty i32) (local $tx i32) (local $t i32) (local $c i32) (local $pixel i32) (local $xRow i32) (local $q i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $col2 i32) (local $col3 i32)
    (local $col1 i32) (local $va v128) (local $vb v128) (local $vc v128) (local $vd v128)
    (local $t00 v128) (local $t01 v128) (local $t02 v128) (local $t03 v128) (local $t10 v128) (local $t11 v128) (local $t12 v128) (local $t13 v128)
    (local $t20 v128) (local $t21 v128) (local $t22 v128) (local $t23 v128) (local $t30 v128) (local $t31 v128) (local $t32 v128) (local $t33 v128)
    (local.set $pixel (i32.shl (local.get $ci) (i32.const 2)))
    (local.set $xRow (i32.mul (local.get $width) (local.get $pixel)))
    (local.set $col1 (local.get $pixel))
    (local.set $col2 (i32.shl (local.get $pixel) (i32.const 1)))
    (local.set $col3 (i32.mul (local.get $pixel) (i32.const 3)))
    (local.set $t (i32.const 0))
    (local.set $ty (i32.const 0))
    (loop $eachTy
      (local.set $tx (i32.const 0))
      (loop $eachTx
        (local.set $c (i32.const 0))
        (loop $eachGroup
          (local.set $r0 (i32.add (local.get $x)
            (i32.add (i32.add (i32.mul (i32.shl (local.get $ty) (i32.const 1)) (local.get $xRow))
                              (i32.mul (i32.shl (local.get $tx) (i32.const 1)) (local.get $pixel)))
                     (i32.shl (local.get $c) (i32.const 2)))))
          (local.set $r1 (i32.add (local.get $r0) (local.get $xRow)))
          (local.set $r2 (i32.add (local.get $r1) (local.get $xRow)))
          (local.set $r3 (i32.add (local.get $r2) (local.get $xRow)))
          (local.set $q (i32.add (local.get $u) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $ci)) (local.get $c)) (i32.const 2))))
          (local.set $va (v128.load (local.get $r0)))
          (local.set $vb (v128.load (local.get $r1)))
          (local.set $vc (v128.load (local.get $r2)))
          (local.set $vd (v128.load (local.get $r3)))
          (local.set $t00 (f32x4.sub (local.get $va) (local.get $vc)))
          (local.set $t10 (f32x4.add (local.get $vb) (local.get $vc)))
          (local.set $t20 (f32x4.sub (local.get $vc) (local.get $vb)))
          (local.set $t30 (f32x4.sub (local.get $vb) (local.get $vd)))
          (local.set $va (v128.load (i32.add (local.get $r0) (local.get $col1))))
          (local.set $vb (v128.load (i32.add (local.get $r1) (local.get $col1))))
          (local.set $vc (v128.load (i32.add (local.get $r2) (local.get $col1))))
          (local.set $vd (v128.load (i32.add (local.get $r3) (local.get $col1))))
          (local.set $t01 (f32x4.sub (local.get $va) (local.get $vc)))
          (local.set $t11 (f32x4.add (local.get $vb) (local.get $vc)))
          (local.set $t21 (f32x4.sub (local.get $vc) (local.get $vb)))
          (local.set $t31 (f32x4.sub (local.get $vb) (local.get $vd)))
          (local.set $va (v128.load (i32.add (local.get $r0) (local.get $col2))))
          (local.set $vb (v128.load (i32.add (local.get $r1) (local.get $col2))))
          (local.set $vc (v128.load (i32.add (local.get $r2) (local.get $col2))))
          (local.set $vd (v128.load (i32.add (local.get $r3) (local.get $col2))))
          (local.set $t02 (f32x4.sub (local.get $va) (local.get $vc)))
          (local.set $t12 (f32x4.add (local.get $vb) (local.get $vc)))
          (local.set $t22 (f32x4.sub (local.get $vc) (local.get $vb)))
          (local.set $t32 (f32x4.sub (local.get $vb) (local.get $vd)))
          (local.set $va (v128.load (i32.add (local.get $r0) (local.get $col3))))
          (local.set $vb (v128.load (i32.add (local.get $r1) (local.get $col3))))
          (local.set $vc (v128.load (i32.add (local.get $r2) (local.get $col3))))
          (local.set $vd (v128.load (i32.add (local.get $r3) (local.get $col3))))
          (local.set $t03 (f32x4.sub (local.get $va) (local.get $vc)))
          (local.set $t13 (f32x4.add (local.get $vb) (local.get $vc)))
          (local.set $t23 (f32x4.sub (local.get $vc) (local.get $vb)))
          (local.set $t33 (f32x4.sub (local.get $vb) (local.get $vd)))
          (v128.store (local.get $q) (f32x4.sub (local.get $t00) (local.get $t02)))
          (local.set $q (i32.add (local.get $q) (local.get $uStride)))
          (v128.store (local.get $q) (f32x4.add (local.get $t01) (local.get $t02)))
          (local.set $q (i32.add (local.get $q) (local.get $uStride)))
          (v128.store (local.get $q) (f32x4.sub (local.get $t02) (local.get $t01)))
          (local.set $q (i32.add (local.get $q) (local.get $uStride)))
          (v128.store (local.get $q) (f32x4.sub (local.get $t01) (local.get $t03)))
          (local.set $q (i32.add (local.get $q) (local.get $uStride)))
          (v128.store (local.get $q) (f32x4.sub (local.get $t10) (local.get $t12)))
          (local.set $q (i32.add (local.get $q) (local.get $uStride)))
          (v128.store (local.get $q) (f32x4.add (local.get $t11) (local.get $t12)))
          (local.set $q (i32.add (local.get $q) (local.get $uStride)))
          (v128.store (local.get $q) (f32x4.sub (local.get $t12) (local.get $t11)))
          (local.set $q (i32.add (local.get $q) (local.get $uStride)))
          (v128.store (local.get $q) (f32x4.sub (local.get $t11) (local.get $t13)))
          (local.set $q (i32.add (local.get $q) (local.get $uStride)))
          (v128.store (local.get $q) (f32x4.sub (local.get $t20) (local.get $t22)))
          (local.set $q (i32.add (local.get $q) (local.get $uStride)))
          (v128.store (local.get $q) (f32x4.add (local.get $t21) (local.get $t22)))
          (local.set $q (i32.add (local.get $q) (local.get $uStride)))
          (v128.store (local.get $q) (f32x4.sub (local.get $t22) (local.get $t21)))
          (local.set $q (i32.add (local.get $q) (local.get $uStride)))
          (v128.store (local.get $q) (f32x4.sub (local.get $t21) (local.get $t23)))
          (local.set $q (i32.add (local.get $q) (local.get $uStride)))
          (v128.store (local.get $q) (f32x4.sub (local.get $t30) (local.get $t32)))
          (local.set $q (i32.add (local.get $q) (local.get $uStride)))
          (v128.store (local.get $q) (f32x4.add (local.get $t31) (local.get $t32)))
          (local.set $q (i32.add (local.get $q) (local.get $uStride)))
          (v128.store (local.get $q) (f32x4.sub (local.get $t32) (local.get $t31)))
          (local.set $q (i32.add (local.get $q) (local.get $uStride)))
          (v128.store (local.get $q) (f32x4.sub (local.get $t31) (local.get $t33)))
          (local.set $q (i32.add (local.get $q) (local.get $uStride)))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br_if $eachGroup (i32.lt_u (local.get $c) (local.get $ci))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (local.set $tx (i32.add (local.get $tx) (i32.const 1)))
        (br_if $eachTx (i32.lt_u (local.get $tx) (local.get $tw))))
      (local.set $ty (i32.add (local.get $ty) (i32.const 1)))
      (br_if $eachTy (i32.lt_u (local.get $ty) (local.get $th)))))

  ;; One image's y [oh × ow × Co] from m [16][tiles][Co] = Aᵀ m A per tile, Aᵀ = [1 1 1 0; 0 1 −1 −1]: each
  ;; column (a, b, c, d) of a tile's 4×4 points becomes (a + b + c, b − c − d), then each row of that the same
  ;; way. A tile's second row or column is not written where it falls past oh or ow. mStride: bytes from one
  ;; point's matrix to the next.
  (func $winogradOutput
    (param $y i32) (param $m i32) (param $th i32) (param $tw i32) (param $oh i32) (param $ow i32) (param $co i32)
    (param $mStride i32)
    (local $ty i32) (local $tx i32) (local $t i32) (local $n i32) (local $yPixel i32) (local $yRow i32)
    (local $py i32) (local $pm i32) (local $q i32) (local $second i32) (local $below i32)
    (local $m00 v128) (local $m01 v128) (local $m02 v128) (local $m03 v128) (local $m10 v128) (local $m11 v128) (local $m12 v128) (local $m13 v128)
    (local $m20 v128) (local $m21 v128) (local $m22 v128) (local $m23 v128) (local $m30 v128) (local $m31 v128) (local $m32 v128) (local $m33 v128)
    (local $s00 v128) (local $s01 v128) (local $s02 v128) (local $s03 v128) (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128)
    (local.set $yPixel (i32.shl (local.get $co) (i32.const 2)))
    (local.set $yRow (i32.mul (local.get $ow) (local.get $yPixel)))
    (local.set $t (i32.const 0))
    (local.set $ty (i32.const 0))
    (loop $eachTy
      (local.set $below (i32.lt_u (i32.add (i32.shl (local.get $ty) (i32.const 1)) (i32.const 1)) (local.get $oh)))
      (local.set $tx (i32.const 0))
      (loop $eachTx
        (local.set $second (i32.lt_u (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const 1)) (local.get $ow)))
        (local.set $n (i32.const 0))
        (loop $eachGroup
          (local.set $pm (i32.add (local.get $m)
            (i32.shl (i32.add (i32.mul (local.get $t) (local.get $co)) (local.get $n)) (i32.const 2))))
          (local.set $py (i32.add (local.get $y)
            (i32.add (i32.add (i32.mul (i32.shl (local.get $ty) (i32.const 1)) (local.get $yRow))
                              (i32.mul (i32.shl (local.get $tx) (i32.const 1)) (local.get $yPixel)))
                     (i32.shl (local.get $n) (i32.const 2)))))
          (local.set $q (local.get $pm))
          (local.set $m00 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $mStride)))
          (local.set $m01 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $mStride)))
          (local.set $m02 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $mStride)))
          (local.set $m03 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $mStride)))
          (local.set $m10 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $mStride)))
          (local.set $m11 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $mStride)))
          (local.set $m12 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $mStride)))
          (local.set $m13 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $mStride)))
          (local.set $m20 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $mStride)))
          (local.set $m21 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $mStride)))
          (local.set $m22 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $mStride)))
          (local.set $m23 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $mStride)))
          (local.set $m30 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $mStride)))
          (local.set $m31 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $mStride)))
          (local.set $m32 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $mStride)))
          (local.set $m33 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $mStride)))
          (local.set $s00 (f32x4.add (f32x4.add (local.get $m00) (local.get $m10)) (local.get $m20)))
          (local.set $s10 (f32x4.sub (f32x4.sub (local.get $m10) (local.get $m20)) (local.get $m30)))
          (local.set $s01 (f32x4.add (f32x4.add (local.get $m01) (local.get $m11)) (local.get $m21)))
          (local.set $s11 (f32x4.sub (f32x4.sub (local.get $m11) (local.get $m21)) (local.get $m31)))
          (local.set $s02 (f32x4.add (f32x4.add (local.get $m02) (local.get $m12)) (local.get $m22)))
          (local.set $s12 (f32x4.sub (f32x4.sub (local.get $m12) (local.get $m22)) (local.get $m32)))
          (local.set $s03 (f32x4.add (f32x4.add (local.get $m03) (local.get $m13)) (local.get $m23)))
          (local.set $s13 (f32x4.sub (f32x4.sub (local.get $m13) (local.get $m23)) (local.get $m33)))
          (v128.store (local.get $py) (f32x4.add (f32x4.add (local.get $s00) (local.get $s01)) (local.get $s02)))
          (if (local.get $second)
            (then (v128.store (i32.add (local.get $py) (local.get $yPixel))
              (f32x4.sub (f32x4.sub (local.get $s01) (local.get $s02)) (local.get $s03)))))
          (if (local.get $below)
            (then
              (local.set $py (i32.add (local.get $py) (local.get $yRow)))
              (v128.store (local.get $py) (f32x4.add (f32x4.add (local.get $s10) (local.get $s11)) (local.get $s12)))
              (if (local.get $second)
                (then (v128.store (i32.add (local.get $py) (local.get $yPixel))
                  (f32x4.sub (f32x4.sub (local.get $s11) (local.get $s12)) (local.get $s13)))))))
          (local.set $n (i32.add (local.get $n) (i32.const 4)))
          (br_if $eachGroup (i32.lt_u (local.get $n) (local.get $co))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (local.set $tx (i32.add (local.get $tx) (i32.const 1)))
        (br_if $eachTx (i32.lt_u (local.get $tx) (local.get $tw))))
      (local.set $ty (i32.add (local.get $ty) (i32.const 1)))
      (br_if $eachTy (i32.lt_u (local.get $ty) (local.get $th)))))

  ;; v [16][Ci][Co] = G g Gᵀ for every input and output channel's 3×3 filter g (w [3, 3, Ci, Co]),
  ;; G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]: a column (a, b, c) becomes (a, (a + b + c)·½, (a − b + c)·½, c), then
  ;; each row the same way.
  (func $winogradFilter (param $v i32) (param $w i32) (param $tmp i32) (param $ci i32) (param $co i32)
    (local $c i32) (local $n i32) (local $tap i32) (local $off i32)
    (local $k i32) (local $src i32) (local $srcStep i32) (local $dst i32) (local $dstStep i32)
    (local $a v128) (local $b v128) (local $cc v128) (local $half v128)
    (local.set $tap (i32.shl (i32.mul (local.get $ci) (local.get $co)) (i32.const 2)))
    (local.set $half (f32x4.splat (f32.const 0.5)))
    (local.set $c (i32.const 0))
    (loop $eachInput
      (local.set $n (i32.const 0))
      (loop $eachGroup
        (local.set $off (i32.shl (i32.add (i32.mul (local.get $c) (local.get $co)) (local.get $n)) (i32.const 2)))
        ;; Passes 0–2: filter column k into tmp; passes 3–6: row k − 3 of tmp into v (a point's matrix is
        ;; Ci·Co floats, as a tap's is in w).
        (local.set $k (i32.const 0))
        (loop $pass
          (if (i32.lt_u (local.get $k) (i32.const 3))
            (then
              (local.set $src (i32.add (i32.add (local.get $w) (local.get $off)) (i32.mul (local.get $k) (local.get $tap))))
              (local.set $srcStep (i32.mul (local.get $tap) (i32.const 3)))
              (local.set $dst (i32.add (local.get $tmp) (i32.shl (local.get $k) (i32.const 4))))
              (local.set $dstStep (i32.const 64)))
            (else
              (local.set $src (i32.add (local.get $tmp) (i32.shl (i32.sub (local.get $k) (i32.const 3)) (i32.const 6))))
              (local.set $srcStep (i32.const 16))
              (local.set $dst (i32.add (i32.add (local.get $v) (local.get $off))
                (i32.mul (i32.shl (i32.sub (local.get $k) (i32.const 3)) (i32.const 2)) (local.get $tap))))
              (local.set $dstStep (local.get $tap))))
          (local.set $a (v128.load (local.get $src)))
          (local.set $b (v128.load (i32.add (local.get $src) (local.get $srcStep))))
          (local.set $cc (v128.load (i32.add (local.get $src) (i32.shl (local.get $srcStep) (i32.const 1)))))
          (v128.store (local.get $dst) (local.get $a))
          (v128.store (i32.add (local.get $dst) (local.get $dstStep))
            (f32x4.mul (f32x4.add (f32x4.add (local.get $a) (local.get $b)) (local.get $cc)) (local.get $half)))
          (v128.store (i32.add (local.get $dst) (i32.shl (local.get $dstStep) (i32.const 1)))
            (f32x4.mul (f32x4.add (f32x4.sub (local.get $a) (local.get $b)) (local.get $cc)) (local.get $half)))
          (v128.store (i32.add (local.get $dst) (i32.mul (local.get $dstStep) (i32.const 3))) (local.get $cc))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $pass (i32.lt_u (local.get $k) (i32.const 7))))
        (local.set $n (i32.add (local.get $n) (i32.const 4)))
        (br_if $eachGroup (i32.lt_u (local.get $n) (local.get $co))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $eachInput (i32.lt_u (local.get $c) (local.get $ci)))))

  ;; A 3×3 convolution with stride 1 and no dilation by F(2×2, 3×3), NHWC, w [3, 3, Ci, Co], x unpadded
  ;; (h × width pixels; `top` rows and `left` columns of zero padding before them), y [batch, oh, ow, Co]:
  ;;   y[b, r, q, :] = Σ_{kh, kw, ci} x[b, r + kh − top, q + kw − left, ci] · w[kh, kw, ci, :]
  ;; The filter goes through G·Gᵀ once; then per image, x is copied with its zero border (where it needs one)
  ;; so that every tile's window lies inside it, the windows go through Bᵀ·B into u, 16 products u[ξ] [tiles ×
  ;; Ci] × v[ξ] [Ci × Co] on conv2d's 1×1 kernel make m, and m goes through Aᵀ·A into y. scratch: as many bytes
  ;; as wasmSimd.ts's winogradScratchFloats says, times 4; oh, ow and batch at least 1.
  (func (export "conv2dWinograd")
    (param $y i32) (param $x i32) (param $w i32) (param $scratch i32) (param $batch i32) (param $h i32)
    (param $width i32) (param $ci i32) (param $oh i32) (param $ow i32) (param $co i32) (param $top i32)
    (param $left i32)
    (local $th i32) (local $tw i32) (local $tiles i32) (local $v i32) (local $u i32) (local $m i32) (local $tmp i32)
    (local $vStride i32) (local $uStride i32) (local $mStride i32) (local $b i32) (local $p i32)
    (local $padded i32) (local $ph i32) (local $pw i32) (local $copy i32) (local $image i32)
    (local.set $th (i32.shr_u (i32.add (local.get $oh) (i32.const 1)) (i32.const 1)))
    (local.set $tw (i32.shr_u (i32.add (local.get $ow) (i32.const 1)) (i32.const 1)))
    (local.set $tiles (i32.mul (local.get $th) (local.get $tw)))
    (local.set $ph (i32.add (i32.shl (local.get $th) (i32.const 1)) (i32.const 2)))
    (local.set $pw (i32.add (i32.shl (local.get $tw) (i32.const 1)) (i32.const 2)))
    (local.set $vStride (i32.shl (i32.mul (local.get $ci) (local.get $co)) (i32.const 2)))
    (local.set $uStride (i32.shl (i32.mul (local.get $tiles) (local.get $ci)) (i32.const 2)))
    (local.set $mStride (i32.shl (i32.mul (local.get $tiles) (local.get $co)) (i32.const 2)))
    (local.set $v (local.get $scratch))
    (local.set $u (i32.add (local.get $v) (i32.shl (local.get $vStride) (i32.const 4))))
    (local.set $m (i32.add (local.get $u) (i32.shl (local.get $uStride) (i32.const 4))))
    (local.set $padded (i32.add (local.get $m) (i32.shl (local.get $mStride) (i32.const 4))))
    (local.set $tmp (i32.add (local.get $padded)
      (i32.shl (i32.mul (i32.mul (local.get $ph) (local.get $pw)) (local.get $ci)) (i32.const 2))))
    ;; x serves as it is where it has no padding and its rows are as wide as the tiles' windows need.
    (local.set $copy (i32.or (i32.or (local.get $top) (local.get $left))
      (i32.or (i32.ne (local.get $width) (local.get $pw)) (i32.lt_u (local.get $h) (local.get $ph)))))
    (call $winogradFilter (local.get $v) (local.get $w) (local.get $tmp) (local.get $ci) (local.get $co))
    (local.set $b (i32.const 0))
    (loop $eachImage
      (local.set $image
        (i32.add (local.get $x) (i32.shl (i32.mul (i32.mul (local.get $b) (local.get $h)) (i32.mul (local.get $width) (local.get $ci)))
                                         (i32.const 2))))
      (if (local.get $copy)
        (then
          (call $padImage (local.get $padded) (local.get $image) (local.get $h) (local.get $width) (local.get $top)
            (local.get $left) (local.get $ph) (local.get $pw) (i32.shl (local.get $ci) (i32.const 2)))
          (local.set $image (local.get $padded))))
      (call $winogradInput (local.get $u) (local.get $image) (local.get $th) (local.get $tw) (local.get $pw) (local.get $ci)
        (local.get $uStride))
      (local.set $p (i32.const 0))
      (loop $eachPoint
        (call $conv2d
          (i32.add (local.get $m) (i32.mul (local.get $p) (local.get $mStride)))
          (i32.add (local.get $u) (i32.mul (local.get $p) (local.get $uStride)))
          (i32.add (local.get $v) (i32.mul (local.get $p) (local.get $vStride)))
          (i32.const 1) (i32.const 1) (local.get $tiles) (local.get $ci) (i32.const 1) (local.get $tiles) (local.get $co)
          (i32.const 1) (i32.const 1) (i32.const 1) (i32.const 1) (i32.const 1) (i32.const 1)
          (i32.const 0) (i32.const 0) (i32.const 1) (local.get $tiles))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br_if $eachPoint (i32.lt_u (local.get $p) (i32.const 16))))
      (call $winogradOutput
        (i32.add (local.get $y) (i32.shl (i32.mul (i32.mul (local.get $b) (local.get $oh)) (i32.mul (local.get $ow) (local.get $co)))
                                         (i32.const 2)))
        (local.get $m) (local.get $th) (local.get $tw) (local.get $oh) (local.get $ow) (local.get $co) (local.get $mStride))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $eachImage (i32.lt_u (local.get $b) (local.get $batch)))))

  ;; dt [16][blocks][Co] = G′ g G′ᵀ for every 2×2 block g of one zero-bordered image of dy (width pixels a
  ;; row; block (by, bx) at row 2·by, column 2·bx), G′ = [1 0; ½ ½; ½ −½; 0 −1]: each column (a, b) becomes
  ;; (a, (a + b)·½, (a − b)·½, −b), then each row of that the same way. G′ is F(3×3, 2×2)'s G with its last
  ;; row negated: its Bᵀ is F(2×2, 3×3)'s with the last row negated, so winogradInput's u serves both, and
  ;; the two signs meet in the products.
  (func $winogradGrad
    (param $dt i32) (param $dy i32) (param $bh i32) (param $bw i32) (param $width i32) (param $co i32) (param $dStride i32)
    (local $by i32) (local $bx i32) (local $t i32) (local $n i32) (local $pixel i32) (local $row i32) (local $q i32)
    (local $r0 i32) (local $r1 i32) (local $va v128) (local $vb v128) (local $vc v128) (local $vd v128) (local $half v128)
    (local $t00 v128) (local $t01 v128) (local $t10 v128) (local $t11 v128) (local $t20 v128) (local $t21 v128) (local $t30 v128) (local $t31 v128)
    (local.set $pixel (i32.shl (local.get $co) (i32.const 2)))
    (local.set $row (i32.mul (local.get $width) (local.get $pixel)))
    (local.set $half (f32x4.splat (f32.const 0.5)))
    (local.set $t (i32.const 0))
    (local.set $by (i32.const 0))
    (loop $eachBy
      (local.set $bx (i32.const 0))
      (loop $eachBx
        (local.set $n (i32.const 0))
        (loop $eachGroup
          (local.set $r0 (i32.add (local.get $dy)
            (i32.add (i32.add (i32.mul (i32.shl (local.get $by) (i32.const 1)) (local.get $row))
                              (i32.mul (i32.shl (local.get $bx) (i32.const 1)) (local.get $pixel)))
                     (i32.shl (local.get $n) (i32.const 2)))))
          (local.set $r1 (i32.add (local.get $r0) (local.get $row)))
          (local.set $q (i32.add (local.get $dt) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $co)) (local.get $n)) (i32.const 2))))
          (local.set $va (v128.load (local.get $r0)))
          (local.set $vb (v128.load (i32.add (local.get $r0) (local.get $pixel))))
          (local.set $vc (v128.load (local.get $r1)))
          (local.set $vd (v128.load (i32.add (local.get $r1) (local.get $pixel))))
          (local.set $t00 (local.get $va))
          (local.set $t10 (f32x4.mul (f32x4.add (local.get $va) (local.get $vc)) (local.get $half)))
          (local.set $t20 (f32x4.mul (f32x4.sub (local.get $va) (local.get $vc)) (local.get $half)))
          (local.set $t30 (f32x4.neg (local.get $vc)))
          (local.set $t01 (local.get $vb))
          (local.set $t11 (f32x4.mul (f32x4.add (local.get $vb) (local.get $vd)) (local.get $half)))
          (local.set $t21 (f32x4.mul (f32x4.sub (local.get $vb) (local.get $vd)) (local.get $half)))
          (local.set $t31 (f32x4.neg (local.get $vd)))
          (v128.store (local.get $q) (local.get $t00))
          (local.set $q (i32.add (local.get $q) (local.get $dStride)))
          (v128.store (local.get $q) (f32x4.mul (f32x4.add (local.get $t00) (local.get $t01)) (local.get $half)))
          (local.set $q (i32.add (local.get $q) (local.get $dStride)))
          (v128.store (local.get $q) (f32x4.mul (f32x4.sub (local.get $t00) (local.get $t01)) (local.get $half)))
          (local.set $q (i32.add (local.get $q) (local.get $dStride)))
          (v128.store (local.get $q) (f32x4.neg (local.get $t01)))
          (local.set $q (i32.add (local.get $q) (local.get $dStride)))
          (v128.store (local.get $q) (local.get $t10))
          (local.set $q (i32.add (local.get $q) (local.get $dStride)))
          (v128.store (local.get $q) (f32x4.mul (f32x4.add (local.get $t10) (local.get $t11)) (local.get $half)))
          (local.set $q (i32.add (local.get $q) (local.get $dStride)))
          (v128.store (local.get $q) (f32x4.mul (f32x4.sub (local.get $t10) (local.get $t11)) (local.get $half)))
          (local.set $q (i32.add (local.get $q) (local.get $dStride)))
          (v128.store (local.get $q) (f32x4.neg (local.get $t11)))
          (local.set $q (i32.add (local.get $q) (local.get $dStride)))
          (v128.store (local.get $q) (local.get $t20))
          (local.set $q (i32.add (local.get $q) (local.get $dStride)))
          (v128.store (local.get $q) (f32x4.mul (f32x4.add (local.get $t20) (local.get $t21)) (local.get $half)))
          (local.set $q (i32.add (local.get $q) (local.get $dStride)))
          (v128.store (local.get $q) (f32x4.mul (f32x4.sub (local.get $t20) (local.get $t21)) (local.get $half)))
          (local.set $q (i32.add (local.get $q) (local.get $dStride)))
          (v128.store (local.get $q) (f32x4.neg (local.get $t21)))
          (local.set $q (i32.add (local.get $q) (local.get $dStride)))
          (v128.store (local.get $q) (local.get $t30))
          (local.set $q (i32.add (local.get $q) (local.get $dStride)))
          (v128.store (local.get $q) (f32x4.mul (f32x4.add (local.get $t30) (local.get $t31)) (local.get $half)))
          (local.set $q (i32.add (local.get $q) (local.get $dStride)))
          (v128.store (local.get $q) (f32x4.mul (f32x4.sub (local.get $t30) (local.get $t31)) (local.get $half)))
          (local.set $q (i32.add (local.get $q) (local.get $dStride)))
          (v128.store (local.get $q) (f32x4.neg (local.get $t31)))
          (local.set $q (i32.add (local.get $q) (local.get $dStride)))
          (local.set $n (i32.add (local.get $n) (i32.const 4)))
          (br_if $eachGroup (i32.lt_u (local.get $n) (local.get $co))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (local.set $bx (i32.add (local.get $bx) (i32.const 1)))
        (br_if $eachBx (i32.lt_u (local.get $bx) (local.get $bw))))
      (local.set $by (i32.add (local.get $by) (i32.const 1)))
      (br_if $eachBy (i32.lt_u (local.get $by) (local.get $bh)))))

  ;; dW [3, 3, Ci, Co] = Aᵀ c A for every input and output channel's 4×4 sums c (c [16][Ci][Co]),
  ;; F(3×3, 2×2)'s Aᵀ = [1 1 1 0; 0 1 −1 0; 0 1 1 1]: a column (a, b, c, d) becomes (a + b + c, b − c,
  ;; b + c + d), then each row the same way.
  (func $winogradFilterOut (param $dw i32) (param $sums i32) (param $tmp i32) (param $ci i32) (param $co i32)
    (local $c i32) (local $n i32) (local $tap i32) (local $off i32)
    (local $k i32) (local $src i32) (local $srcStep i32) (local $dst i32) (local $dstStep i32)
    (local $a v128) (local $b v128) (local $cc v128) (local $d v128)
    (local.set $tap (i32.shl (i32.mul (local.get $ci) (local.get $co)) (i32.const 2)))
    (local.set $c (i32.const 0))
    (loop $eachInput
      (local.set $n (i32.const 0))
      (loop $eachGroup
        (local.set $off (i32.shl (i32.add (i32.mul (local.get $c) (local.get $co)) (local.get $n)) (i32.const 2)))
        ;; Passes 0–3: column k of the 4×4 sums into three rows of tmp; passes 4–6: row k − 4 of tmp into dW.
        (local.set $k (i32.const 0))
        (loop $pass
          (if (i32.lt_u (local.get $k) (i32.const 4))
            (then
              (local.set $src (i32.add (i32.add (local.get $sums) (local.get $off)) (i32.mul (local.get $k) (local.get $tap))))
              (local.set $srcStep (i32.shl (local.get $tap) (i32.const 2)))
              (local.set $dst (i32.add (local.get $tmp) (i32.shl (local.get $k) (i32.const 4))))
              (local.set $dstStep (i32.const 64)))
            (else
              (local.set $src (i32.add (local.get $tmp) (i32.shl (i32.sub (local.get $k) (i32.const 4)) (i32.const 6))))
              (local.set $srcStep (i32.const 16))
              (local.set $dst (i32.add (i32.add (local.get $dw) (local.get $off))
                (i32.mul (i32.mul (i32.sub (local.get $k) (i32.const 4)) (i32.const 3)) (local.get $tap))))
              (local.set $dstStep (local.get $tap))))
          (local.set $a (v128.load (local.get $src)))
          (local.set $b (v128.load (i32.add (local.get $src) (local.get $srcStep))))
          (local.set $cc (v128.load (i32.add (local.get $src) (i32.shl (local.get $srcStep) (i32.const 1)))))
          (local.set $d (v128.load (i32.add (local.get $src) (i32.mul (local.get $srcStep) (i32.const 3)))))
          (v128.store (local.get $dst) (f32x4.add (f32x4.add (local.get $a) (local.get $b)) (local.get $cc)))
          (v128.store (i32.add (local.get $dst) (local.get $dstStep)) (f32x4.sub (local.get $b) (local.get $cc)))
          (v128.store (i32.add (local.get $dst) (i32.shl (local.get $dstStep) (i32.const 1)))
            (f32x4.add (f32x4.add (local.get $b) (local.get $cc)) (local.get $d)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $pass (i32.lt_u (local.get $k) (i32.const 7))))
        (local.set $n (i32.add (local.get $n) (i32.const 4)))
        (br_if $eachGroup (i32.lt_u (local.get $n) (local.get $co))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $eachInput (i32.lt_u (local.get $c) (local.get $ci)))))

  ;; The filter gradient of a 3×3 convolution with stride 1 and no dilation by F(3×3, 2×2), NHWC:
  ;;   dW[kh, kw, ci, co] = Σ_{b, r, q} x[b, r + kh − top, q + kw − left, ci] · dy[b, r, q, co]
  ;; x as conv2dWinograd's, dy [batch, oh, ow, Co]. Each 2×2 block of dy with its 4×4 window of x (the forward
  ;; pass's tile) adds (Bᵀ d B) ⊙ (G′ g G′ᵀ) to 4×4 sums per channel pair; the sums over every block of every
  ;; image are 16 products u[ξ]ᵀ × dt[ξ] on convFilterGradTap's kernel, kept in the transformed domain until
  ;; the end, where Aᵀ·A makes them dW. x and dy are copied with a zero border per image where a window needs
  ;; one. scratch: as conv2dWinograd's; oh, ow and batch at least 1.
  (func (export "convFilterGradWinograd")
    (param $dw i32) (param $x i32) (param $dy i32) (param $scratch i32) (param $batch i32) (param $h i32)
    (param $width i32) (param $ci i32) (param $oh i32) (param $ow i32) (param $co i32) (param $top i32)
    (param $left i32)
    (local $bh i32) (local $bw i32) (local $tiles i32) (local $sums i32) (local $u i32) (local $dt i32) (local $tmp i32)
    (local $sStride i32) (local $uStride i32) (local $dStride i32) (local $b i32) (local $p i32)
    (local $padded i32) (local $paddedDy i32) (local $ph i32) (local $pw i32) (local $copy i32) (local $copyDy i32)
    (local $image i32) (local $grad i32)
    (local.set $bh (i32.shr_u (i32.add (local.get $oh) (i32.const 1)) (i32.const 1)))
    (local.set $bw (i32.shr_u (i32.add (local.get $ow) (i32.const 1)) (i32.const 1)))
    (local.set $tiles (i32.mul (local.get $bh) (local.get $bw)))
    (local.set $ph (i32.add (i32.shl (local.get $bh) (i32.const 1)) (i32.const 2)))
    (local.set $pw (i32.add (i32.shl (local.get $bw) (i32.const 1)) (i32.const 2)))
    (local.set $sStride (i32.shl (i32.mul (local.get $ci) (local.get $co)) (i32.const 2)))
    (local.set $uStride (i32.shl (i32.mul (local.get $tiles) (local.get $ci)) (i32.const 2)))
    (local.set $dStride (i32.shl (i32.mul (local.get $tiles) (local.get $co)) (i32.const 2)))
    (local.set $sums (local.get $scratch))
    (local.set $u (i32.add (local.get $sums) (i32.shl (local.get $sStride) (i32.const 4))))
    (local.set $dt (i32.add (local.get $u) (i32.shl (local.get $uStride) (i32.const 4))))
    (local.set $padded (i32.add (local.get $dt) (i32.shl (local.get $dStride) (i32.const 4))))
    (local.set $paddedDy (i32.add (local.get $padded)
      (i32.shl (i32.mul (i32.mul (local.get $ph) (local.get $pw)) (local.get $ci)) (i32.const 2))))
    (local.set $tmp (i32.add (local.get $paddedDy) (i32.shl (local.get $dStride) (i32.const 2))))
    (local.set $copy (i32.or (i32.or (local.get $top) (local.get $left))
      (i32.or (i32.ne (local.get $width) (local.get $pw)) (i32.lt_u (local.get $h) (local.get $ph)))))
    ;; dy needs a border where oh or ow is odd (its last blocks' second row or column).
    (local.set $copyDy (i32.and (i32.or (local.get $oh) (local.get $ow)) (i32.const 1)))
    (local.set $b (i32.const 0))
    (loop $eachImage
      (local.set $image
        (i32.add (local.get $x) (i32.shl (i32.mul (i32.mul (local.get $b) (local.get $h)) (i32.mul (local.get $width) (local.get $ci)))
                                         (i32.const 2))))
      (if (local.get $copy)
        (then
          (call $padImage (local.get $padded) (local.get $image) (local.get $h) (local.get $width) (local.get $top)
            (local.get $left) (local.get $ph) (local.get $pw) (i32.shl (local.get $ci) (i32.const 2)))
          (local.set $image (local.get $padded))))
      (call $winogradInput (local.get $u) (local.get $image) (local.get $bh) (local.get $bw) (local.get $pw) (local.get $ci)
        (local.get $uStride))
      (local.set $grad
        (i32.add (local.get $dy) (i32.shl (i32.mul (i32.mul (local.get $b) (local.get $oh)) (i32.mul (local.get $ow) (local.get $co)))
                                          (i32.const 2))))
      (if (local.get $copyDy)
        (then
          (call $padImage (local.get $paddedDy) (local.get $grad) (local.get $oh) (local.get $ow) (i32.const 0) (i32.const 0)
            (i32.shl (local.get $bh) (i32.const 1)) (i32.shl (local.get $bw) (i32.const 1)) (i32.shl (local.get $co) (i32.const 2)))
          (local.set $grad (local.get $paddedDy))))
      (call $winogradGrad (local.get $dt) (local.get $grad) (local.get $bh) (local.get $bw) (i32.shl (local.get $bw) (i32.const 1))
        (local.get $co) (local.get $dStride))
      (local.set $p (i32.const 0))
      (loop $eachPoint
        ;; The first image writes the sums, the others add to them.
        (call $convFilterGradTap
          (i32.add (local.get $sums) (i32.mul (local.get $p) (local.get $sStride)))
          (i32.add (local.get $u) (i32.mul (local.get $p) (local.get $uStride)))
          (i32.add (local.get $dt) (i32.mul (local.get $p) (local.get $dStride)))
          (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0) (i32.shl (local.get $ci) (i32.const 2)) (i32.const 0)
          (i32.const 1) (local.get $tiles) (local.get $ci) (local.get $co) (i32.ne (local.get $b) (i32.const 0)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br_if $eachPoint (i32.lt_u (local.get $p) (i32.const 16))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $eachImage (i32.lt_u (local.get $b) (local.get $batch))))
    (call $winogradFilterOut (local.get $dw) (local.get $sums) (local.get $tmp) (local.get $ci) (local.get $co)))
)

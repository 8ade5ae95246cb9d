extension PagedKVCache {
    /// Stores one token's keys and values (`kvHeads × headDim` Floats each, head-major) for
    /// `layer` into `slot` of `block`, quantizing them into the cache's format.
    public func write(
        layer: Int, block: Int32, slot: Int,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>
    ) throws(KVCacheError) {
        guard layer >= 0, layer < self.layers else {
            throw .invalidArgument("layer \(layer) outside 0..<\(self.layers)")
        }
        guard block >= 0, Int(block) < self.blockCount else { throw .unknownBlock(block) }
        guard slot >= 0, slot < Self.tokensPerBlock else {
            throw .invalidArgument("slot \(slot) outside 0..<\(Self.tokensPerBlock)")
        }
        if self.format.hasScales {
            // Quantized formats store the rotated rows (`KVRotation`); one stack buffer holds both.
            let width = self.kvHeads * self.headDim
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * width) { buffer in
                guard let rotated = buffer.baseAddress else { return }
                rotated.initialize(from: keys, count: width)
                (rotated + width).initialize(from: values, count: width)
                KVRotation.apply(rotated, count: 2 * width, block: KVRotation.blockSize(headDim: self.headDim))
                self.subtractAnchors(from: rotated, layer: layer, block: block, slot: slot)
                self.store(layer: layer, block: block, slot: slot, keys: rotated, values: rotated + width)
            }
        } else {
            self.store(layer: layer, block: block, slot: slot, keys: keys, values: values)
        }
    }

    /// Replaces each KV head's rotated key with its difference from the block's key anchor,
    /// after storing the key itself as the anchor (in fp16) when it is the block's slot 0.
    private func subtractAnchors(from keys: UnsafeMutablePointer<Float>, layer: Int, block: Int32, slot: Int) {
        for head in 0..<self.kvHeads {
            let anchor = (self.tile(layer: layer, block: Int(block), head: head) + self.anchorOffset)
                .assumingMemoryBound(to: UInt16.self)
            let key = keys + head * self.headDim
            for index in 0..<self.headDim {
                // A NaN anchor would spoil the whole block's keys; the NaN key itself stores as 0.
                if slot == 0 { anchor[index] = HalfFloat.encode(key[index].isNaN ? 0 : key[index]) }
                key[index] -= Float(Float16(bitPattern: anchor[index]))
            }
        }
    }

    /// `write` after its checks (and, for int8 and fp8, after the rotation and the anchors).
    private func store(
        layer: Int, block: Int32, slot: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>
    ) {
        for head in 0..<self.kvHeads {
            let tile = self.tile(layer: layer, block: Int(block), head: head)
            let key = keys + head * self.headDim
            let value = values + head * self.headDim
            switch self.format {
            case .int8:
                let keyScale = Self.storeInt8(key, into: tile, slot: slot, stride: Self.tokensPerBlock, count: self.headDim)
                let valueScale = Self.storeInt8(
                    value, into: tile + self.valueOffset + slot * self.headDim, slot: 0, stride: 1, count: self.headDim)
                self.storeScales(keyScale, valueScale, tile: tile, slot: slot)
            case .fp8:
                let keyScale = Self.storeFP8(key, into: tile, slot: slot, stride: Self.tokensPerBlock, count: self.headDim)
                let valueScale = Self.storeFP8(
                    value, into: tile + self.valueOffset + slot * self.headDim, slot: 0, stride: 1, count: self.headDim)
                self.storeScales(keyScale, valueScale, tile: tile, slot: slot)
            case .fp16:
                let keyHalves = tile.assumingMemoryBound(to: UInt16.self)
                let valueHalves = (tile + self.valueOffset).assumingMemoryBound(to: UInt16.self) + slot * self.headDim
                for index in 0..<self.headDim {
                    keyHalves[index * Self.tokensPerBlock + slot] = HalfFloat.encode(key[index])
                    valueHalves[index] = HalfFloat.encode(value[index])
                }
            }
        }
    }

    /// Copies every layer's contents of block `source` into block `destination` (the copy a
    /// copy-on-write append asks for).
    public func copyBlock(from source: Int32, to destination: Int32) throws(KVCacheError) {
        guard source >= 0, Int(source) < self.blockCount else { throw .unknownBlock(source) }
        guard destination >= 0, Int(destination) < self.blockCount else { throw .unknownBlock(destination) }
        guard source != destination else { return }
        for layer in 0..<self.layers {
            for head in 0..<self.kvHeads {
                let from = self.tile(layer: layer, block: Int(source), head: head)
                let to = self.tile(layer: layer, block: Int(destination), head: head)
                to.copyMemory(from: from, byteCount: self.tileBytes)
            }
        }
    }

    /// The dequantized value of element `dimension` of the key (or value) of `slot` in `block`,
    /// as the attention kernel sees it; for tests and diagnostics, not for hot loops.
    public func storedValue(
        layer: Int, block: Int32, slot: Int, head: Int, dimension: Int, isKey: Bool
    ) throws(KVCacheError) -> Float {
        guard layer >= 0, layer < self.layers, head >= 0, head < self.kvHeads,
            slot >= 0, slot < Self.tokensPerBlock, dimension >= 0, dimension < self.headDim
        else {
            throw .invalidArgument("element (layer \(layer), slot \(slot), head \(head), dimension \(dimension)) out of range")
        }
        guard block >= 0, Int(block) < self.blockCount else { throw .unknownBlock(block) }
        let tile = self.tile(layer: layer, block: Int(block), head: head)
        guard self.format.hasScales else {
            let index = isKey ? dimension * Self.tokensPerBlock + slot : slot * self.headDim + dimension
            let bits = (isKey ? tile : tile + self.valueOffset).load(fromByteOffset: index * 2, as: UInt16.self)
            return Float(Float16(bitPattern: bits))
        }
        // int8 and fp8 rows are stored rotated: dequantize the whole row, rotate it back.
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: self.headDim) { buffer -> Float in
            guard let row = buffer.baseAddress else { return 0 }
            for d in 0..<self.headDim {
                row[d] = self.storedRotatedValue(tile: tile, slot: slot, dimension: d, isKey: isKey)
            }
            KVRotation.apply(row, count: self.headDim, block: KVRotation.blockSize(headDim: self.headDim))
            return row[dimension]
        }
    }

    /// Element `dimension` of a quantized row as stored (rotated): times its scale, plus the
    /// block's anchor for a key.
    private func storedRotatedValue(tile: UnsafeMutableRawPointer, slot: Int, dimension: Int, isKey: Bool) -> Float {
        let index = isKey ? dimension * Self.tokensPerBlock + slot : slot * self.headDim + dimension
        let elements = isKey ? tile : tile + self.valueOffset
        let scales = (tile + (isKey ? self.keyScaleOffset : self.valueScaleOffset)).assumingMemoryBound(to: Float.self)
        let anchor = isKey ? Float(Float16(bitPattern: tile.load(fromByteOffset: self.anchorOffset + 2 * dimension, as: UInt16.self))) : 0
        guard self.format == .fp8 else {
            return anchor + Float(elements.load(fromByteOffset: index, as: Int8.self)) * scales[slot]
        }
        return anchor + FP8E4M3.decode(elements.load(fromByteOffset: index, as: UInt8.self)) * scales[slot]
    }

    @inline(__always)
    private func storeScales(_ keyScale: Float, _ valueScale: Float, tile: UnsafeMutableRawPointer, slot: Int) {
        (tile + self.keyScaleOffset).assumingMemoryBound(to: Float.self)[slot] = keyScale
        (tile + self.valueScaleOffset).assumingMemoryBound(to: Float.self)[slot] = valueScale
    }

    /// Quantizes `count` Floats to int8 with a symmetric absmax/127 scale, storing element i
    /// at `slot + i * stride`; returns the scale (0 for an all-zero row).
    private static func storeInt8(
        _ source: UnsafePointer<Float>, into destination: UnsafeMutableRawPointer, slot: Int, stride: Int, count: Int
    ) -> Float {
        let bytes = destination.assumingMemoryBound(to: Int8.self)
        let absmax = Self.absoluteMaximum(source, count: count)
        let scale = absmax / 127
        let inverse: Float = absmax > 0 ? 127 / absmax : 0
        for index in 0..<count {
            let clamped = Swift.min(Swift.max(source[index] * inverse, -127), 127)
            // Adding and removing 1.5·2^23 rounds to the nearest integer, ties to even, without
            // the library call `rounded()` becomes at the default x86-64 target.
            let scaled = (clamped + 12_582_912) - 12_582_912
            // NaN stores as 0: an int8 has no NaN, and a trap here would take the replica down.
            bytes[slot + index * stride] = scaled.isNaN ? 0 : Int8(scaled)
        }
        return scale
    }

    /// Quantizes `count` Floats to fp8-e4m3 with an absmax/448 scale, storing element i at
    /// `slot + i * stride`; returns the scale (0 for an all-zero row).
    private static func storeFP8(
        _ source: UnsafePointer<Float>, into destination: UnsafeMutableRawPointer, slot: Int, stride: Int, count: Int
    ) -> Float {
        let bytes = destination.assumingMemoryBound(to: UInt8.self)
        let absmax = Self.absoluteMaximum(source, count: count)
        let scale = absmax / FP8E4M3.maxFinite
        let inverse: Float = absmax > 0 ? FP8E4M3.maxFinite / absmax : 0
        for index in 0..<count {
            bytes[slot + index * stride] = FP8E4M3.encode(source[index] * inverse)
        }
        return scale
    }

    /// The largest magnitude among `count` Floats; NaNs are skipped so a scale stays finite.
    private static func absoluteMaximum(_ source: UnsafePointer<Float>, count: Int) -> Float {
        var result: Float = 0
        for index in 0..<count where !source[index].isNaN {
            result = Swift.max(result, Swift.abs(source[index]))
        }
        return Swift.min(result, Float.greatestFiniteMagnitude)
    }
}

// Safetensors entries as torch tensors in the compute dtype and device, looked up by name with
// shape checks. Included only by src/runner/torch/ (it carries ATen).
#pragma once

#include <solar/runner/safetensors.hpp>

#include <ATen/ATen.h>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace solar::runner::torch_impl {

// A missing tensor or a shape mismatch while loading. Thrown inside the loader, whose many
// lookups stay linear this way, and turned into load()'s error value at its boundary.
class weight_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class tensor_source {
public:
    tensor_source(std::shared_ptr<const safetensors_weights> weights, at::TensorOptions options);

    // Whether the checkpoint holds `name`.
    bool has(const std::string& name) const;

    // The first of `names` present, in the target dtype and device, with exactly `shape`.
    // Throws weight_error naming the tensor when none is present, the shape differs or the
    // stored dtype is not F32, F16 or BF16. Stored data already in the target dtype on the CPU
    // is used in place from the mapping, without a copy.
    at::Tensor get(const std::vector<std::string>& names, const std::vector<std::int64_t>& shape)
        const;

    // Weights and biases whose names end in ".weight"/".bias" (or LayerNorm's old
    // ".gamma"/".beta"), for `base` + ".weight".
    at::Tensor weight(const std::string& base, const std::vector<std::int64_t>& shape) const;
    at::Tensor bias(const std::string& base, std::int64_t size) const;

    // The number of floating-point values in the checkpoint (its parameters; integer buffers
    // such as position_ids do not count).
    std::uint64_t parameter_count() const;

private:
    std::shared_ptr<const safetensors_weights> weights_;
    at::TensorOptions options_;
};

// Sets torch's intra-op threads, which are process-wide: `requested`, or one per core when it
// is 0 (libtorch here would default to one).
void set_intra_op_threads(std::size_t requested);

}  // namespace solar::runner::torch_impl

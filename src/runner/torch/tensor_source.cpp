// tensor_source: safetensors views wrapped as tensors (zero-copy where possible), converted to
// the compute dtype and device.
#include "tensor_source.hpp"

#include <ATen/Parallel.h>
#include <algorithm>
#include <cstdint>
#include <sstream>
#include <thread>

namespace solar::runner::torch_impl {

namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
    std::ostringstream out;
    out << '[';
    for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
    out << ']';
    return out.str();
}

bool is_floating(tensor_dtype dtype) {
    return dtype == tensor_dtype::f32 || dtype == tensor_dtype::f16 || dtype == tensor_dtype::bf16;
}

at::ScalarType scalar_type(tensor_dtype dtype) {
    switch (dtype) {
        case tensor_dtype::f16:
            return at::kHalf;
        case tensor_dtype::bf16:
            return at::kBFloat16;
        default:
            return at::kFloat;
    }
}

}  // namespace

tensor_source::tensor_source(
    std::shared_ptr<const safetensors_weights> weights, at::TensorOptions options
)
    : weights_(std::move(weights)), options_(options) {}

bool tensor_source::has(const std::string& name) const { return weights_->find(name) != nullptr; }

at::Tensor tensor_source::get(
    const std::vector<std::string>& names, const std::vector<std::int64_t>& shape
) const {
    const tensor_view* view = nullptr;
    std::string found;
    for (const auto& name : names) {
        if ((view = weights_->find(name))) {
            found = name;
            break;
        }
    }
    if (!view) {
        std::string tried;
        for (const auto& name : names) tried += (tried.empty() ? "" : " or ") + name;
        throw weight_error("missing tensor " + tried);
    }
    if (view->shape != shape) {
        throw weight_error(
            "tensor " + found + " has shape " + shape_text(view->shape) + ", the config implies " +
            shape_text(shape)
        );
    }
    if (!is_floating(view->dtype)) {
        throw weight_error(
            "tensor " + found + " is " + std::string(dtype_name(view->dtype)) +
            "; weights must be F32, F16 or BF16"
        );
    }
    auto stored = scalar_type(view->dtype);
    // The mapping is read-only: the tensor must never be written in place. Each view keeps the
    // whole set of mapped files alive through the deleter.
    auto* data = const_cast<std::byte*>(view->bytes.data());
    auto tensor = at::from_blob(
        data, shape, [keep = weights_](void*) {}, at::TensorOptions().dtype(stored).device(at::kCPU)
    );
    bool aligned = reinterpret_cast<std::uintptr_t>(data) % dtype_size(view->dtype) == 0;
    bool in_place =
        aligned && stored == options_.dtype().toScalarType() && options_.device().is_cpu();
    if (in_place) return tensor;
    // Misaligned data is copied first: kernels may assume element alignment.
    if (!aligned) tensor = tensor.clone();
    return tensor.to(options_.device(), options_.dtype().toScalarType()).contiguous();
}

at::Tensor tensor_source::weight(const std::string& base, const std::vector<std::int64_t>& shape)
    const {
    return get({base + ".weight", base + ".gamma"}, shape);
}

at::Tensor tensor_source::bias(const std::string& base, std::int64_t size) const {
    return get({base + ".bias", base + ".beta"}, {size});
}

std::uint64_t tensor_source::parameter_count() const {
    std::uint64_t count = 0;
    for (const auto& [name, view] : weights_->tensors()) {
        if (is_floating(view.dtype)) count += static_cast<std::uint64_t>(view.element_count());
    }
    return count;
}

void set_intra_op_threads(std::size_t requested) {
    auto threads = requested > 0
                       ? static_cast<int>(requested)
                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    at::set_num_threads(threads);
}

}  // namespace solar::runner::torch_impl

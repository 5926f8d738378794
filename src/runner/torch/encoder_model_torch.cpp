// encoder_model on libtorch: load() resolves device and dtype, reads the weights, and the model
// pads each batch, runs the shared encoder and applies the head or the pooling.
#include <solar/runner/encoder_model.hpp>
#include <solar/runner/model_config.hpp>
#include <solar/runner/safetensors.hpp>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <algorithm>
#include <c10/core/InferenceMode.h>
#include <optional>
#include <stdexcept>

#include "bert_encoder.hpp"
#include "heads.hpp"
#include "tensor_source.hpp"

namespace solar::runner {

namespace {

using namespace torch_impl;

// at::Device converts implicitly from a string, so failures name the error side explicitly.
using device_result = boost::system::result<at::Device, std::string>;

device_result device_failure(std::string message) {
    return device_result(boost::system::in_place_error, std::move(message));
}

device_result resolve_device(const std::string& name) {
    if (name == "auto") return at::hasCUDA() ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
    if (name == "cpu") return at::Device(at::kCPU);
    if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
        if (!at::hasCUDA()) {
            return device_failure(
                "device " + name +
                " requested, but this libtorch build has no CUDA support (or no GPU is "
                "visible); use device cpu or auto"
            );
        }
        try {
            auto device = at::Device(name == "cuda" ? std::string("cuda:0") : name);
            if (device.index() >= static_cast<int>(at::getNumGPUs())) {
                return device_failure(
                    "device " + name + " does not exist (" + std::to_string(at::getNumGPUs()) +
                    " GPUs visible)"
                );
            }
            return device;
        } catch (const std::exception&) {
            return device_failure("device " + name + " is not a device name (cpu, cuda, cuda:N)");
        }
    }
    return device_failure("unknown device " + name + " (supported: auto, cpu, cuda, cuda:N)");
}

// auto: float32 on the CPU; on a GPU the checkpoint's own half type, else float32.
boost::system::result<at::ScalarType, std::string> resolve_dtype(
    const std::string& name, const at::Device& device, const model_config& config
) {
    std::string chosen = name;
    if (chosen == "auto") {
        bool half = config.torch_dtype == "float16" || config.torch_dtype == "bfloat16";
        chosen = device.is_cuda() && half ? config.torch_dtype : "float32";
    }
    if (chosen == "float32" || chosen == "fp32") return at::kFloat;
    if (chosen == "bfloat16" || chosen == "bf16") return at::kBFloat16;
    if (chosen == "float16" || chosen == "fp16" || chosen == "half") {
        // libtorch 1.13's CPU kernels have no float16 matrix products, LayerNorm or GELU.
        if (device.is_cpu()) {
            return std::string(
                "dtype float16 is not supported on the CPU by this libtorch (its CPU kernels "
                "lack half-precision matrix products); use bfloat16 or float32"
            );
        }
        return at::kHalf;
    }
    return "unknown dtype " + name + " (supported: auto, float32, float16, bfloat16)";
}

std::string dtype_label(at::ScalarType type) {
    switch (type) {
        case at::kHalf:
            return "float16";
        case at::kBFloat16:
            return "bfloat16";
        default:
            return "float32";
    }
}

std::vector<std::vector<float>> to_rows(const at::Tensor& matrix) {
    auto cpu = matrix.to(at::kCPU, at::kFloat).contiguous();
    std::vector<std::vector<float>> rows(static_cast<std::size_t>(cpu.size(0)));
    const float* data = cpu.data_ptr<float>();
    auto width = cpu.size(1);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        rows[i].assign(data + i * width, data + (i + 1) * width);
    }
    return rows;
}

class torch_encoder_model final : public encoder_model {
public:
    torch_encoder_model(
        model_config config,
        encoder_weights encoder,
        std::optional<classification_head> head,
        model_description description,
        at::Device device
    )
        : config_(std::move(config)),
          encoder_(std::move(encoder)),
          head_(std::move(head)),
          description_(std::move(description)),
          device_(device) {}

    std::vector<std::vector<float>> classify_logits(const token_batch& batch) override {
        if (!head_) {
            throw std::invalid_argument(
                "model " + config_.architecture + " has no sequence-classification head"
            );
        }
        if (batch.ids.empty()) return {};
        c10::InferenceMode guard;
        auto inputs = prepare(batch);
        return to_rows(classify(*head_, encode(encoder_, config_, inputs)));
    }

    std::vector<std::vector<float>> embed(const token_batch& batch, pooling how, bool normalize)
        override {
        if (batch.ids.empty()) return {};
        c10::InferenceMode guard;
        auto inputs = prepare(batch);
        return to_rows(pool(encode(encoder_, config_, inputs), inputs.mask, how, normalize));
    }

    const model_description& description() const override { return description_; }

private:
    // Right-pads the batch with the pad id, after checking every id against the model's sizes.
    encoder_inputs prepare(const token_batch& batch) const {
        const auto& ids = batch.ids;
        const auto& types = batch.type_ids;
        if (!types.empty() && types.size() != ids.size()) {
            throw std::invalid_argument("type_ids must be empty or have one row per sequence");
        }
        std::size_t length = 0;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (ids[i].empty()) throw std::invalid_argument("an input sequence is empty");
            if (static_cast<std::int64_t>(ids[i].size()) > config_.max_tokens()) {
                throw std::invalid_argument(
                    "a sequence of " + std::to_string(ids[i].size()) + " tokens exceeds the " +
                    std::to_string(config_.max_tokens()) + " the model accepts"
                );
            }
            if (!types.empty() && types[i].size() != ids[i].size()) {
                throw std::invalid_argument("type_ids and ids differ in length");
            }
            length = std::max(length, ids[i].size());
        }
        auto rows = static_cast<std::int64_t>(ids.size());
        auto cols = static_cast<std::int64_t>(length);
        auto ids_tensor = at::full({rows, cols}, config_.pad_token_id, at::kLong);
        auto types_tensor = at::zeros({rows, cols}, at::kLong);
        auto mask_tensor = at::zeros({rows, cols}, at::kLong);
        auto* id_data = ids_tensor.data_ptr<std::int64_t>();
        auto* type_data = types_tensor.data_ptr<std::int64_t>();
        auto* mask_data = mask_tensor.data_ptr<std::int64_t>();
        // DistilBERT has no token types: whatever the tokenizer produced is ignored.
        bool use_types = !types.empty() && config_.family != encoder_family::distilbert;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            for (std::size_t j = 0; j < ids[i].size(); ++j) {
                auto cell = i * length + j;
                auto id = ids[i][j];
                if (id < 0 || id >= config_.vocab_size) {
                    throw std::invalid_argument(
                        "token id " + std::to_string(id) + " is outside the vocabulary of " +
                        std::to_string(config_.vocab_size)
                    );
                }
                id_data[cell] = id;
                mask_data[cell] = 1;
                if (use_types) {
                    auto type = types[i][j];
                    if (type < 0 || type >= config_.type_vocab_size) {
                        throw std::invalid_argument(
                            "token type id " + std::to_string(type) + " is outside the " +
                            std::to_string(config_.type_vocab_size) + " token types"
                        );
                    }
                    type_data[cell] = type;
                }
            }
        }
        return {ids_tensor.to(device_), types_tensor.to(device_), mask_tensor.to(device_)};
    }

    model_config config_;
    encoder_weights encoder_;
    std::optional<classification_head> head_;
    model_description description_;
    at::Device device_;
};

}  // namespace

boost::system::result<std::unique_ptr<encoder_model>, std::string> encoder_model::load(
    const std::filesystem::path& model_dir, const model_load_options& options
) {
    auto config = read_model_config(model_dir);
    if (!config) return config.error();
    auto device = resolve_device(options.device);
    if (!device) return device.error();
    auto dtype = resolve_dtype(options.dtype, *device, *config);
    if (!dtype) return dtype.error();
    auto weights = safetensors_weights::open_directory(model_dir);
    if (!weights) return weights.error();

    set_intra_op_threads(options.threads);

    tensor_source source(
        std::make_shared<const safetensors_weights>(std::move(*weights)),
        at::TensorOptions().dtype(*dtype).device(*device)
    );
    try {
        auto prefix = encoder_prefix(source, *config);
        auto encoder = load_encoder(source, *config, prefix);
        std::optional<classification_head> head;
        if (config->head == model_head::sequence_classification) {
            head = load_classification_head(source, *config, prefix);
        }
        model_description d;
        d.architecture = config->architecture;
        d.model_type = config->model_type;
        d.hidden_size = config->hidden_size;
        d.max_position_embeddings = config->max_position_embeddings;
        d.max_tokens = config->max_tokens();
        d.vocab_size = config->vocab_size;
        d.type_vocab_size = config->type_vocab_size;
        d.pad_token_id = config->pad_token_id;
        d.has_classifier = head.has_value();
        d.labels = config->labels;
        d.problem_type = config->problem_type;
        d.parameter_count = source.parameter_count();
        d.dtype = dtype_label(*dtype);
        d.device = device->str();
        d.threads = at::get_num_threads();
        return std::unique_ptr<encoder_model>(new torch_encoder_model(
            std::move(*config), std::move(encoder), std::move(head), std::move(d), *device
        ));
    } catch (const weight_error& e) {
        return model_dir.string() + ": " + e.what();
    }
}

}  // namespace solar::runner

// Classification heads per family, and embedding pooling.
#include "heads.hpp"

namespace solar::runner::torch_impl {

classification_head load_classification_head(
    const tensor_source& source, const model_config& config, const std::string& prefix
) {
    auto h = config.hidden_size;
    auto labels = static_cast<std::int64_t>(config.labels.size());
    classification_head head;
    head.family = config.family;
    auto linear = [&](const std::string& base, std::int64_t out) {
        return linear_weights{source.weight(base, {out, h}), source.bias(base, out)};
    };
    switch (config.family) {
        case encoder_family::bert:
            head.dense = linear(prefix + "pooler.dense", h);
            head.out = linear("classifier", labels);
            break;
        case encoder_family::distilbert:
            head.dense = linear("pre_classifier", h);
            head.out = linear("classifier", labels);
            break;
        case encoder_family::roberta:
            head.dense = linear("classifier.dense", h);
            head.out = linear("classifier.out_proj", labels);
            break;
    }
    return head;
}

at::Tensor classify(const classification_head& head, const at::Tensor& states) {
    auto first = states.select(1, 0);
    auto hidden = apply(head.dense, first);
    hidden = head.family == encoder_family::distilbert ? at::relu(hidden) : at::tanh(hidden);
    return apply(head.out, hidden);
}

at::Tensor pool(const at::Tensor& states, const at::Tensor& mask, pooling how, bool normalize) {
    auto x = states.to(at::kFloat);
    at::Tensor pooled;
    switch (how) {
        case pooling::mean: {
            auto weights = mask.to(at::kFloat).unsqueeze(-1);
            pooled = (x * weights).sum(1) / weights.sum(1).clamp_min(1e-9);
            break;
        }
        case pooling::cls:
            pooled = x.select(1, 0);
            break;
        case pooling::last: {
            // Sequences are right-padded: the last token sits at length - 1.
            auto last = (mask.sum(1) - 1).clamp_min(0);
            auto index = last.view({-1, 1, 1}).expand({x.size(0), 1, x.size(2)});
            pooled = x.gather(1, index).squeeze(1);
            break;
        }
    }
    if (normalize) pooled = pooled / pooled.norm(2, {-1}, true).clamp_min(1e-12);
    return pooled;
}

}  // namespace solar::runner::torch_impl

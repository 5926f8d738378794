// config.json for BERT, DistilBERT, RoBERTa and XLM-RoBERTa, with the defaults of the
// HuggingFace config classes where a field is absent.
#include <solar/runner/model_config.hpp>

#include <array>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>

namespace solar::runner {

namespace {

using config_result = boost::system::result<model_config, std::string>;

// model_config is an aggregate, constructible from a string: name the error side explicitly.
config_result config_error(std::string message) {
    return config_result(boost::system::in_place_error, std::move(message));
}

struct architecture_info {
    std::string_view name;
    std::string_view model_type;
    encoder_family family;
    model_head head;
};

// Masked-LM and pre-training checkpoints carry a full encoder; their LM heads are ignored, so
// they serve embeddings.
constexpr std::array<architecture_info, 13> architecture_table{{
    {"BertModel", "bert", encoder_family::bert, model_head::none},
    {"BertForSequenceClassification",
     "bert",
     encoder_family::bert,
     model_head::sequence_classification},
    {"BertForMaskedLM", "bert", encoder_family::bert, model_head::none},
    {"BertForPreTraining", "bert", encoder_family::bert, model_head::none},
    {"DistilBertModel", "distilbert", encoder_family::distilbert, model_head::none},
    {"DistilBertForSequenceClassification",
     "distilbert",
     encoder_family::distilbert,
     model_head::sequence_classification},
    {"DistilBertForMaskedLM", "distilbert", encoder_family::distilbert, model_head::none},
    {"RobertaModel", "roberta", encoder_family::roberta, model_head::none},
    {"RobertaForSequenceClassification",
     "roberta",
     encoder_family::roberta,
     model_head::sequence_classification},
    {"RobertaForMaskedLM", "roberta", encoder_family::roberta, model_head::none},
    {"XLMRobertaModel", "xlm-roberta", encoder_family::roberta, model_head::none},
    {"XLMRobertaForSequenceClassification",
     "xlm-roberta",
     encoder_family::roberta,
     model_head::sequence_classification},
    {"XLMRobertaForMaskedLM", "xlm-roberta", encoder_family::roberta, model_head::none},
}};

const architecture_info* find_architecture(std::string_view name) {
    for (const auto& info : architecture_table) {
        if (info.name == name) return &info;
    }
    return nullptr;
}

// A config without "architectures" names its bare encoder through model_type.
const architecture_info* find_by_model_type(std::string_view model_type) {
    for (const auto& info : architecture_table) {
        if (info.model_type == model_type && info.head == model_head::none) return &info;
    }
    return nullptr;
}

// Reads an integer field: absent gives `fallback`, present but not an integer fails.
boost::system::result<std::int64_t, std::string> integer_field(
    const nlohmann::json& config, const char* key, std::int64_t fallback
) {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) return fallback;
    if (!it->is_number_integer()) return std::string("config.json: ") + key + " is not an integer";
    return it->get<std::int64_t>();
}

boost::system::result<double, std::string> number_field(
    const nlohmann::json& config, const char* key, double fallback
) {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) return fallback;
    if (!it->is_number()) return std::string("config.json: ") + key + " is not a number";
    return it->get<double>();
}

std::string string_field(const nlohmann::json& config, const char* key) {
    auto it = config.find(key);
    return it != config.end() && it->is_string() ? it->get<std::string>() : std::string();
}

boost::system::result<activation, std::string> parse_activation(const std::string& name) {
    if (name == "gelu") return activation::gelu;
    if (name == "gelu_new" || name == "gelu_pytorch_tanh") return activation::gelu_new;
    if (name == "relu") return activation::relu;
    return "config.json: unsupported activation " + name +
           " (supported: gelu, gelu_new, gelu_pytorch_tanh, relu)";
}

// id2label, else label2id, else num_labels generic names ("LABEL_0", ...), else two of them.
boost::system::result<std::vector<std::string>, std::string> parse_labels(
    const nlohmann::json& config
) {
    std::vector<std::string> labels;
    auto id2label = config.find("id2label");
    auto label2id = config.find("label2id");
    if (id2label != config.end() && id2label->is_object() && !id2label->empty()) {
        labels.resize(id2label->size());
        std::vector<bool> seen(labels.size());
        for (const auto& [key, value] : id2label->items()) {
            std::size_t id = 0;
            std::size_t used = 0;
            try {
                id = std::stoul(key, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != key.size() || id >= labels.size() || seen[id] || !value.is_string()) {
                return "config.json: id2label must map the ids 0.." +
                       std::to_string(labels.size() - 1) + " to names; bad entry " + key;
            }
            seen[id] = true;
            labels[id] = value.get<std::string>();
        }
        return labels;
    }
    if (label2id != config.end() && label2id->is_object() && !label2id->empty()) {
        labels.resize(label2id->size());
        std::vector<bool> seen(labels.size());
        for (const auto& [name, value] : label2id->items()) {
            if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
                value.get<std::size_t>() >= labels.size() || seen[value.get<std::size_t>()]) {
                return "config.json: label2id must map names to the ids 0.." +
                       std::to_string(labels.size() - 1) + "; bad entry " + name;
            }
            seen[value.get<std::size_t>()] = true;
            labels[value.get<std::size_t>()] = name;
        }
        return labels;
    }
    auto count = integer_field(config, "num_labels", 2);
    if (!count) return count.error();
    if (*count < 1) return std::string("config.json: num_labels must be positive");
    for (std::int64_t i = 0; i < *count; ++i) labels.push_back("LABEL_" + std::to_string(i));
    return labels;
}

// Reads each field into `out` with the family's field names and defaults.
std::optional<std::string> read_sizes(const nlohmann::json& config, model_config& out) {
    bool distil = out.family == encoder_family::distilbert;
    bool roberta = out.family == encoder_family::roberta;
    struct field {
        const char* key;
        std::int64_t fallback;
        std::int64_t* target;
    };
    std::int64_t default_vocab = distil                            ? 30522
                                 : out.model_type == "xlm-roberta" ? 250002
                                 : roberta                         ? 50265
                                                                   : 30522;
    // DistilBERT's config names its sizes dim, n_layers, n_heads and hidden_dim.
    std::vector<field> fields{
        {"vocab_size", default_vocab, &out.vocab_size},
        {distil ? "dim" : "hidden_size", 768, &out.hidden_size},
        {distil ? "n_layers" : "num_hidden_layers", distil ? 6 : 12, &out.num_hidden_layers},
        {distil ? "n_heads" : "num_attention_heads", 12, &out.num_attention_heads},
        {distil ? "hidden_dim" : "intermediate_size", 3072, &out.intermediate_size},
        {"max_position_embeddings", 512, &out.max_position_embeddings},
        {"pad_token_id", roberta ? 1 : 0, &out.pad_token_id},
    };
    if (!distil) fields.push_back({"type_vocab_size", roberta ? 1 : 2, &out.type_vocab_size});
    for (const auto& f : fields) {
        auto value = integer_field(config, f.key, f.fallback);
        if (!value) return value.error();
        *f.target = *value;
    }
    if (distil) out.type_vocab_size = 0;

    // DistilBERT fixes its LayerNorm epsilon at 1e-12 and has no field for it.
    auto eps = number_field(config, "layer_norm_eps", 1e-12);
    if (!eps) return eps.error();
    out.layer_norm_eps = distil ? 1e-12 : *eps;

    std::string act = string_field(config, distil ? "activation" : "hidden_act");
    auto parsed = parse_activation(act.empty() ? "gelu" : act);
    if (!parsed) return parsed.error();
    out.hidden_act = *parsed;
    return std::nullopt;
}

std::optional<std::string> check_sizes(const model_config& c) {
    if (c.vocab_size < 1 || c.hidden_size < 1 || c.num_hidden_layers < 0 ||
        c.num_attention_heads < 1 || c.intermediate_size < 1 || c.type_vocab_size < 0) {
        return "config.json: sizes must be positive";
    }
    if (c.hidden_size % c.num_attention_heads != 0) {
        return "config.json: hidden size " + std::to_string(c.hidden_size) +
               " is not a multiple of the " + std::to_string(c.num_attention_heads) +
               " attention heads";
    }
    if (c.pad_token_id < 0 || c.pad_token_id >= c.vocab_size) {
        return "config.json: pad_token_id " + std::to_string(c.pad_token_id) +
               " is outside the vocabulary";
    }
    if (c.max_tokens() < 1) return "config.json: max_position_embeddings leaves no positions";
    return std::nullopt;
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace

std::int64_t model_config::position_offset() const {
    return family == encoder_family::roberta ? pad_token_id + 1 : 0;
}

std::int64_t model_config::max_tokens() const {
    return max_position_embeddings - position_offset();
}

std::string supported_architectures() {
    std::string names;
    for (const auto& info : architecture_table) {
        if (!names.empty()) names += ", ";
        names += info.name;
    }
    return names;
}

config_result parse_model_config(const nlohmann::json& config) {
    if (!config.is_object()) return config_error("config.json is not a JSON object");
    model_config out;
    out.model_type = string_field(config, "model_type");

    const architecture_info* info = nullptr;
    auto architectures = config.find("architectures");
    if (architectures != config.end() && architectures->is_array() && !architectures->empty()) {
        const auto& first = (*architectures)[0];
        std::string name = first.is_string() ? first.get<std::string>() : first.dump();
        info = find_architecture(name);
        if (!info) {
            return config_error(
                "unsupported architecture " + name + "; supported: " + supported_architectures()
            );
        }
    } else {
        info = find_by_model_type(out.model_type);
        if (!info) {
            return config_error(
                "config.json names no architecture and an unsupported model_type \"" +
                out.model_type + "\"; supported: " + supported_architectures()
            );
        }
    }
    out.architecture = std::string(info->name);
    if (out.model_type.empty()) out.model_type = std::string(info->model_type);
    out.family = info->family;
    out.head = info->head;

    if (auto failure = read_sizes(config, out)) return config_error(*failure);
    if (auto failure = check_sizes(out)) return config_error(*failure);
    if (out.head == model_head::sequence_classification) {
        auto labels = parse_labels(config);
        if (!labels) return config_error(labels.error());
        out.labels = std::move(*labels);
    }
    out.problem_type = string_field(config, "problem_type");
    out.torch_dtype = string_field(config, "torch_dtype");
    return out;
}

boost::system::result<nlohmann::json, std::string> read_config_json(
    const std::filesystem::path& model_dir
) {
    using json_result = boost::system::result<nlohmann::json, std::string>;
    auto path = model_dir / "config.json";
    if (!std::filesystem::exists(path)) {
        return json_result(
            boost::system::in_place_error, "no config.json in " + model_dir.string()
        );
    }
    auto config = nlohmann::json::parse(read_text(path), nullptr, false);
    if (config.is_discarded()) {
        return json_result(boost::system::in_place_error, path.string() + " is not valid JSON");
    }
    // json converts from anything, so name the value side explicitly.
    return json_result(boost::system::in_place_value, std::move(config));
}

config_result read_model_config(const std::filesystem::path& model_dir) {
    auto config = read_config_json(model_dir);
    if (!config) return config_error(config.error());
    return parse_model_config(*config);
}

}  // namespace solar::runner

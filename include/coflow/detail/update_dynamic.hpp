// coflow/detail/update_dynamic.hpp: the dynamic update handler's side of an update: its call, and its input
// recorded with the update id first.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <coflow/args.hpp>
#include <coflow/codec.hpp>
#include <coflow/definition.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/traits.hpp>
#include <coflow/detail/type_id.hpp>
#include <coflow/detail/update_book.hpp>
#include <coflow/detail/update_call.hpp>
#include <coflow/detail/workflow_type.hpp>
#include <coflow/errors.hpp>
#include <coflow/history.hpp>
#include <coflow/task.hpp>

namespace coflow::detail {

template <class T>
inline constexpr bool has_dynamic_update_v =
    !std::is_same_v<std::remove_const_t<decltype(definition_of<T>::dynamic_update_fn)>, no_dynamic>;

template <class T>
using dynamic_update_result_t = typename task_value<
    typename member_fn_traits<std::remove_const_t<decltype(definition_of<T>::dynamic_update_fn)>>::result_type>::type;

/// An update's recorded input: its id, then its arguments (for the dynamic handler, whose types are
/// known only as a pack).
class update_input_pack final : public arg_pack_base {
public:
    update_input_pack(std::string id, std::unique_ptr<arg_pack_base> rest) : id_(std::move(id)), rest_(std::move(rest)) {
        view_.push_back(erased_arg{type_id_of<std::string>(), &id_, &type_name<std::string>});
        const erased_args v = rest_->view();
        view_.insert(view_.end(), v.data, v.data + v.size);
    }
    [[nodiscard]] erased_args view() noexcept override { return {view_.data(), view_.size(), nullptr}; }
    [[nodiscard]] std::vector<std::string> text() const override {
        std::vector<std::string> out{engine::json(id_)};
        for (auto& t : rest_->text()) out.push_back(std::move(t));
        return out;
    }
    [[nodiscard]] std::unique_ptr<arg_pack_base> clone() const override {
        auto copy = rest_->clone();
        return copy ? std::make_unique<update_input_pack>(id_, std::move(copy)) : nullptr;
    }
    [[nodiscard]] std::string_view encode(writer& w) const override {
        w.write(id_);
        return rest_->encode(w);
    }

private:
    std::string id_;
    std::unique_ptr<arg_pack_base> rest_;
    std::vector<erased_arg> view_;
};

/// The arguments of a recorded input after its update id (replay hands them to the dynamic handler).
class after_update_id final : public arg_pack_base {
public:
    explicit after_update_id(std::unique_ptr<arg_pack_base> whole) : whole_(std::move(whole)) {}
    [[nodiscard]] erased_args view() noexcept override {
        const erased_args v = whole_->view();
        return {v.data + 1, v.size - 1, nullptr};
    }
    [[nodiscard]] std::vector<std::string> text() const override {
        auto t = whole_->text();
        t.erase(t.begin());
        return t;
    }
    [[nodiscard]] std::unique_ptr<arg_pack_base> clone() const override {
        auto copy = whole_->clone();
        return copy ? std::make_unique<after_update_id>(std::move(copy)) : nullptr;
    }
    [[nodiscard]] std::string_view encode(writer&) const override { return "a replay's view of an update"; }

private:
    std::unique_ptr<arg_pack_base> whole_;
};

template <class T>
class dynamic_update_call final : public update_finisher<dynamic_update_result_t<T>> {
    using R = dynamic_update_result_t<T>;
    using update_call_base::book;
    using update_call_base::outcome;
    static constexpr auto fn = T::definition.dynamic_update_fn;

public:
    dynamic_update_call(std::shared_ptr<update_outcome<R>> o, std::shared_ptr<update_book> b,
                        std::unique_ptr<arg_pack_base> args)
        : update_finisher<R>(std::move(o), std::move(b)), args_(std::move(args)) {}

    void deliver(instance_base& in, const std::shared_ptr<update_call_base>& self) override {
        T& obj = object_of<T>(in);
        book->accept(*outcome);
        if (in.hist) [[unlikely]]
            record_accepted(in);
        // The handler takes the update's name and its arguments as a pack.
        raw_args raw(std::move(args_), in.id, outcome->name);
        if constexpr (is_task<typename member_fn_traits<std::remove_const_t<decltype(fn)>>::result_type>::value)
            this->start_async(in, (obj.*fn)(outcome->name, std::move(raw)), self);
        else
            this->finish_now(in, [&] { return (obj.*fn)(outcome->name, std::move(raw)); });
    }

private:
    [[gnu::noinline]] void record_accepted(instance_base& in) {
        auto copy = args_->clone();
        std::shared_ptr<arg_pack_base> input;
        if (copy) input = std::make_shared<update_input_pack>(outcome->update_id, std::move(copy));
        std::vector<std::string> text{engine::json(outcome->update_id)};
        for (auto& t : args_->text()) text.push_back(std::move(t));
        in.eng.record(in, event_kind::update_accepted, outcome->name, std::move(text), std::move(input));
    }

    std::unique_ptr<arg_pack_base> args_;
};

}  // namespace coflow::detail

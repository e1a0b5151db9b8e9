//! The console's keys, the same on every page: "/" puts the cursor in the search box, j and k
//! move through the rows of the page's list, Enter opens the row (its first link, which has the
//! focus), "?" lists the keys. Keys typed into a field, or with Ctrl, Alt or ⌘, are left alone.
//!
//! The keys move the focus rather than a selection of their own, so the browser does the rest:
//! a focused link scrolls into view and follows Enter, the row shows it by `:focus-within`, and
//! the list of keys is a modal `<dialog>`, which takes the focus and gives it back on closing.

use crate::i18n::use_texts;
use leptos::html;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::{Element, HtmlElement, KeyboardEvent};

/// The list j and k move through: the table holding the focus, else the page's first table
/// whose rows link somewhere (a summary grid of counts is not a list).
const LIST_BODY: &str = "main table:not(.recon-summary):has(tbody a[href]) tbody";

/// Listens for the keys while the shell lives; `search_box` is where "/" goes and `help` is the
/// dialog "?" opens.
pub fn listen(search_box: NodeRef<html::Input>, help: NodeRef<html::Dialog>) {
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.default_prevented() || typing(&ev) {
            return;
        }
        let handled = match ev.key().as_str() {
            "/" => search_box.get_untracked().is_some_and(|input| input.focus().is_ok()),
            "?" => help.get_untracked().is_some_and(|dialog| dialog.show_modal().is_ok()),
            "j" => step(true),
            "k" => step(false),
            _ => false,
        };
        if handled {
            ev.prevent_default();
        }
    });
    on_cleanup(move || handle.remove());
}

/// Whether the key goes into a field (or an open dialog), not to the page.
fn typing(ev: &KeyboardEvent) -> bool {
    let target = ev.target().and_then(|t| t.dyn_into::<Element>().ok());
    target.is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || e.closest("dialog[open]").ok().flatten().is_some())
}

/// Focuses the first link of the next (or previous) row after the one holding the focus; the
/// first row when none does. Answers whether there was a row to go to.
fn step(forward: bool) -> bool {
    let active = document().active_element();
    let focused_row = active.as_ref().and_then(|a| a.closest("main tbody > tr").ok().flatten());
    let links: Vec<HtmlElement> = rows(focused_row.as_ref()).iter().filter_map(|row| row.query_selector("a[href]").ok().flatten()?.dyn_into().ok()).collect();
    if links.is_empty() {
        return false;
    }
    let current = focused_row.and_then(|row| links.iter().position(|link| row.contains(Some(link.unchecked_ref()))));
    let next = match (current, forward) {
        (None, _) => 0,
        (Some(i), true) => (i + 1).min(links.len() - 1),
        (Some(i), false) => i.saturating_sub(1),
    };
    links[next].focus().is_ok()
}

/// The rows of the list: the focused row's table, else the page's list.
fn rows(focused_row: Option<&Element>) -> Vec<Element> {
    let body = match focused_row {
        Some(row) => row.parent_element(),
        None => document().query_selector(LIST_BODY).ok().flatten(),
    };
    std::iter::successors(body.and_then(|b| b.first_element_child()), Element::next_element_sibling).collect()
}

/// The list of keys, opened by "?" or the top bar's "?" button; Escape or "Close" shuts it.
#[component]
pub fn KeysHelp(dialog: NodeRef<html::Dialog>) -> impl IntoView {
    let t = use_texts();
    // The keys need the page's script: the button stays off until the page has hydrated.
    let (live, set_live) = signal(false);
    Effect::new(move |_| set_live.set(true));
    let keys = [("/", t.search_label), ("j", t.key_next_row), ("k", t.key_previous_row), ("Enter", t.key_open_row), ("?", t.key_help)];
    view! {
        <button type="button" class="link keys-button" title=t.keys_title aria-label=t.keys_title aria-keyshortcuts="?" disabled=move || !live.get()
            on:click=move |_| { if let Some(d) = dialog.get_untracked() { let _ = d.show_modal(); } }>"?"</button>
        <dialog node_ref=dialog class="keys-help" aria-labelledby="keys-help-title">
            <h2 id="keys-help-title">{t.keys_title}</h2>
            <dl>
                {keys.into_iter().map(|(key, what)| view! { <dt><kbd>{key}</kbd></dt><dd>{what}</dd> }).collect_view()}
            </dl>
            <form method="dialog"><button type="submit" autofocus>{t.close}</button></form>
        </dialog>
    }
}

/*
 * Huddle visitor widget: one tag puts a "Chat with us" button on any page.
 *
 *   <script src="https://chat.example.org/chat/huddle-widget.js" async
 *           data-websocket="wss://chat.example.org/xmpp-websocket"
 *           data-domain="guest.example.org"
 *           data-service="support.example.org"></script>
 *
 * Every data- setting is optional; prosody-config/WIDGET.md lists them. This
 * file only asks the pre-chat questions, picks the chat's room and starts
 * Converse.js, which does all the XMPP (anonymous login over the websocket,
 * joining the room, the chat itself). Two small Converse plugins go with it:
 * huddle-visitor.js hands the visitor's details to the support service, and
 * huddle-notices.js shows what the service itself says in the room.
 *
 * A classic script rather than a module, so that `async` works as site owners
 * expect and document.currentScript tells where the widget was loaded from.
 */
(() => {
    "use strict";

    const script = document.currentScript;
    const here = new URL(".", script.src);
    const server = new URL(script.src);
    const options = script.dataset;
    // Defaults fit Prosody serving the widget on the staff domain, with Huddle's
    // default names (guest.<domain>, support.<domain>): true of `huddle dev`.
    const settings = {
        websocket:
            options.websocket ||
            `${server.protocol === "https:" ? "wss" : "ws"}://${server.host}/xmpp-websocket`,
        domain: options.domain || `guest.${server.hostname}`,
        service: options.service || `support.${server.hostname}`,
        converse: new URL(options.converse || "../converse/", here).href,
        title: options.title || "Chat with us",
        open: options.open === "true",
    };
    // sessionStorage: the chat lives as long as the browser tab, so a reload
    // (or another page of the same site) returns to it, and a new tab starts afresh.
    const STORAGE_KEY = "huddle-chat";

    function savedChat() {
        try {
            return JSON.parse(sessionStorage.getItem(STORAGE_KEY));
        } catch {
            return null;
        }
    }

    function save(chat) {
        sessionStorage.setItem(STORAGE_KEY, JSON.stringify(chat));
    }

    // The room name is the chat's only secret: 128 random bits, as hex.
    function newRoom() {
        const bytes = crypto.getRandomValues(new Uint8Array(16));
        const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
        return `chat-${hex}@${settings.service}`;
    }

    function addStylesheet(href) {
        const link = document.createElement("link");
        link.rel = "stylesheet";
        link.href = href;
        document.head.append(link);
    }

    function buildWidget() {
        const root = document.createElement("div");
        root.className = "huddle-widget";
        // Static markup only: the title goes in through textContent below.
        root.innerHTML = `
            <button type="button" class="huddle-launcher"></button>
            <section class="huddle-panel" hidden>
                <header class="huddle-header">
                    <span class="huddle-title"></span>
                    <button type="button" class="huddle-minimise" aria-label="Minimise">&minus;</button>
                </header>
                <form class="huddle-form">
                    <label>Your name
                        <input name="name" required maxlength="64" autocomplete="name">
                    </label>
                    <label>Email <small>(optional)</small>
                        <input name="email" type="email" maxlength="254" autocomplete="email">
                    </label>
                    <label>How can we help?
                        <textarea name="question" required maxlength="2000" rows="3"></textarea>
                    </label>
                    <button type="submit">Start chat</button>
                </form>
                <div class="huddle-chat" hidden><converse-root></converse-root></div>
            </section>`;
        root.querySelector(".huddle-launcher").textContent = settings.title;
        root.querySelector(".huddle-title").textContent = settings.title;
        document.body.append(root);
        return root;
    }

    async function startConverse(chat) {
        addStylesheet(new URL("converse.min.css", settings.converse).href);
        const [{ default: converse }, { addVisitorPlugin }, { addNoticesPlugin }] =
            await Promise.all([
                import(new URL("converse.min.js", settings.converse).href),
                import(new URL("huddle-visitor.js", here).href),
                import(new URL("huddle-notices.js", here).href),
            ]);
        addVisitorPlugin(converse, chat, () => save(chat));
        addNoticesPlugin(converse);
        await converse.initialize({
            authentication: "anonymous",
            auto_login: true,
            jid: settings.domain,
            websocket_url: settings.websocket,
            discover_connection_methods: false,
            view_mode: "embedded",
            singleton: true,
            // No participants list: the panel is small, and the visitor talks to "us".
            auto_join_rooms: [{ jid: chat.room, nick: chat.name, hidden_occupants: true }],
            assets_path: settings.converse,
            whitelisted_plugins: ["huddle-visitor", "huddle-notices"],
            // Nothing to encrypt end to end: the support service reads every
            // message to decide who may see it.
            blacklisted_plugins: ["converse-omemo", "converse-omemo-views"],
            // Each reload is a new anonymous login: keep nothing beyond the tab.
            persistent_store: "sessionStorage",
            // Without stream management Converse leaves the room when the page
            // unloads. With it, Prosody would keep the old session (and so the
            // visitor's seat) for minutes, and the reloaded page could not rejoin.
            enable_smacks: false,
            // The support service names the visitor; the visitor needs no commands.
            locked_muc_nickname: true,
            muc_disable_slash_commands: true,
            show_client_info: false,
            visible_toolbar_buttons: { call: false, clear: false, emoji: true, location: false },
        });
    }

    function init() {
        const root = buildWidget();
        const launcher = root.querySelector(".huddle-launcher");
        const panel = root.querySelector(".huddle-panel");
        const form = root.querySelector(".huddle-form");
        const chatBox = root.querySelector(".huddle-chat");

        const show = (open) => {
            panel.hidden = !open;
            launcher.hidden = open;
        };
        const start = (chat) => {
            form.hidden = true;
            chatBox.hidden = false;
            show(true);
            startConverse(chat).catch((error) => {
                chatBox.textContent = "Sorry, the chat could not start. Please try again later.";
                console.error("Huddle widget:", error);
            });
        };

        launcher.addEventListener("click", () => show(true));
        root.querySelector(".huddle-minimise").addEventListener("click", () => show(false));
        form.addEventListener("submit", (event) => {
            event.preventDefault();
            // `required` lets a name of only spaces through; the trimmed value does not.
            for (const input of [form.elements.name, form.elements.question]) {
                input.value = input.value.trim();
            }
            if (!form.reportValidity()) {
                return;
            }
            const fields = new FormData(form);
            const chat = {
                room: newRoom(),
                name: fields.get("name"),
                email: fields.get("email").trim(),
                question: fields.get("question"),
                page: location.href,
                asked: false,
            };
            save(chat);
            start(chat);
        });

        addStylesheet(new URL("huddle-widget.css", here).href);
        const chat = savedChat();
        if (chat?.room) {
            start(chat);
        } else {
            show(settings.open);
        }
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", init);
    } else {
        init();
    }
})();

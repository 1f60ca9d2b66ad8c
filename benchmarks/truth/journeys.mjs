// The journeys: what a person does on the harness pages. Each `run(h, page, base)` drives
// a fresh browser profile through a Human (seeded by the journey name).

const sel = (page, css) => page.locator(css).first();

export const JOURNEYS = [
  {
    name: 'ops_watch',
    pageType: 'live_console',
    description: 'Live ops console (ticker, chart, presence list and table mutate every 120-300 ms): dead clicks on static heading, legend pills and the ticker text, sort the live table, pause and resume the feed, acknowledge the alert, slow refresh (1.4 s) via an icon button, press the disabled Failover button.',
    async run(h, page, base) {
      await h.nav('goto', `${base}/ops`, 'open the ops console');
      await h.wait(1200);
      await h.click(sel(page, 'h2.css-5hd0c1'), 'click the Services heading (looks like a dropdown, no handler)');
      await h.wait(1600);
      await h.click(sel(page, '.css-l9p0x1 >> nth=1'), 'click the Memory legend pill (no handler)');
      await h.wait(1400);
      await h.click(sel(page, '#ticker'), 'click the ticker text (ambient updates, no handler)');
      await h.wait(1500);
      await h.click(sel(page, '#sort-load'), 'sort the live table by load');
      await h.wait(1500);
      await h.click(sel(page, '#pause'), 'pause the live feed');
      await h.wait(1800);
      await h.click(sel(page, '.css-f00t3r'), 'click the footer text (static)');
      await h.wait(1200);
      await h.click(sel(page, '#pause'), 'resume the live feed');
      await h.wait(1500);
      await h.click(sel(page, '[aria-label="Refresh services"]'), 'refresh services (answer after 1.4 s)');
      await h.wait(4600);
      await h.click(sel(page, '#failover'), 'press the disabled Failover button');
      await h.wait(1500);
      await h.click(sel(page, '#ack'), 'acknowledge the alert');
      await h.wait(1500);
      await h.click(sel(page, '.css-l9p0x1 >> nth=0'), 'click the CPU legend pill (no handler)');
      await h.wait(1200);
      await h.click(sel(page, '#sort-load'), 'sort the live table by name');
      await h.wait(1500);
    },
  },
  {
    name: 'ops_errors',
    pageType: 'live_console',
    pageTypes: ['live_console', 'docs'],
    description: 'Live ops console: an icon button whose export fails 700 ms later (uncaught TypeError), a restart answered 503 + console.error, an export followed 300 ms later by a sort (the late error lands in the sort\'s window), a 5-click rage on a legend pill, the Runbook link then a quick browser Back (full loads).',
    async run(h, page, base) {
      await h.nav('goto', `${base}/ops`, 'open the ops console');
      await h.wait(1000);
      await h.click(sel(page, '[aria-label="Export CSV"]'), 'export CSV (fails 700 ms later)');
      await h.wait(2200);
      await h.click(sel(page, '#restart'), 'restart worker (HTTP 503, console.error)');
      await h.wait(2200);
      await h.click(sel(page, '[aria-label="Export CSV"]'), 'export CSV again (fails 700 ms later)');
      await h.wait(300);
      await h.click(sel(page, '#sort-load'), 'sort by load while the export is failing');
      await h.wait(2000);
      await h.rage(sel(page, '.css-l9p0x1 >> nth=2'), 5, 'rage on the Network legend pill');
      await h.wait(2000);
      await h.click(sel(page, 'h1'), 'click the page title (static)');
      await h.wait(1300);
      await h.click(sel(page, '#runbook'), 'open the runbook (full load)');
      await h.wait(900);
      await h.nav('back', null, 'quick browser back to the console');
      await h.wait(1500);
      await h.click(sel(page, '#sort-load'), 'sort by load');
      await h.wait(1200);
      await h.click(sel(page, '#ticker'), 'click the ticker (static text that keeps changing)');
      await h.wait(1500);
    },
  },
  {
    name: 'ops_idle',
    pageType: 'live_console',
    description: 'Live ops console left alone for 32 s (the mouse is still, the page keeps mutating), then clicks again: one idle gap that ambient mutations must not hide.',
    async run(h, page, base) {
      await h.nav('goto', `${base}/ops`, 'open the ops console');
      await h.wait(1000);
      await h.click(sel(page, '#sort-load'), 'sort by load');
      await h.wait(800);
      await h.pause(32000, 'watch the console without touching anything');
      await h.click(sel(page, '#ack'), 'acknowledge the alert');
      await h.wait(1500);
      await h.click(sel(page, '.css-8chv1x'), 'click the chevron next to Services (no handler)');
      await h.wait(1500);
      await h.click(sel(page, '#presence'), 'click the presence list (ambient, no handler)');
      await h.wait(1500);
    },
  },
  {
    name: 'settings_profile',
    pageType: 'settings',
    description: 'Settings app: type a display name with a pause, 4 Backspaces and a retype, save (immediate "Saving…", toast 1.2 s later), dead clicks on a heading and link-looking text, SPA tabs, a label click toggling its checkbox then a browser Back 300 ms later, a switch, Billing tab then quick Back/Forward (popstate), Enter submits the form (full load), Back and Forward (full loads).',
    async run(h, page, base) {
      await h.nav('goto', `${base}/settings/profile`, 'open settings');
      await h.wait(900);
      const name = sel(page, '#display-name');
      await h.click(name, 'focus display name');
      await h.type(name, ['Jordan Smiht', { pause: 700 }, { backspace: 4 }, 'mith'], 'display name with a correction');
      await h.wait(500);
      const bio = sel(page, '#bio');
      await h.click(bio, 'focus bio');
      await h.type(bio, ['Platform engineer'], 'bio');
      await h.wait(600);
      await h.click(sel(page, '#save'), 'save (Saving… at once, toast after 1.2 s)');
      await h.wait(4000);
      await h.click(sel(page, '.css-d4ng3r'), 'click the Danger zone heading (static)');
      await h.wait(1200);
      await h.click(sel(page, '.css-l34rn0'), 'click "Learn more" (looks like a link, no handler)');
      await h.wait(1500);
      await h.click(sel(page, '[data-tab=notifications]'), 'open the Notifications tab (pushState)');
      await h.wait(1200);
      await h.click(sel(page, '#incidents-label'), 'click the label of the incidents checkbox');
      await h.wait(1000);
      await h.click(sel(page, '#digest'), 'toggle the weekly digest switch');
      await h.wait(1100);
      await h.click(sel(page, '#mentions'), 'untick "Email me when mentioned"');
      await h.wait(300);
      await h.nav('back', null, 'browser back to the profile tab 300 ms after the click (popstate)');
      await h.wait(1500);
      await h.click(sel(page, '[data-tab=billing]'), 'open the Billing tab (pushState)');
      await h.wait(900);
      await h.nav('back', null, 'quick browser back (popstate)');
      await h.wait(800);
      await h.nav('forward', null, 'browser forward to Billing (popstate)');
      await h.wait(1200);
      await h.click(sel(page, '[data-tab=profile]'), 'back to the Profile tab');
      await h.wait(900);
      const name2 = sel(page, '#display-name');
      await h.click(name2, 'focus display name');
      await h.type(name2, ['Jordan Smith'], 'display name');
      await h.wait(400);
      await h.press('Enter', 'submit the profile form with Enter (full load)');
      await h.wait(1800);
      await h.nav('back', null, 'browser back to settings (full load)');
      await h.wait(1500);
      await h.nav('forward', null, 'browser forward to the saved page (full load)');
      await h.wait(1200);
      await h.click(sel(page, '#who'), 'click the saved name (static)');
      await h.wait(1200);
    },
  },
  {
    name: 'settings_modal',
    pageType: 'settings',
    description: 'Settings app: open and close a modal via icon buttons named only by aria-label, dead clicks on colour pills, a toast 1.2 s after closing, Copy API key (only a toast 1.2 s later: slow), Export data (uncaught Error 1.1 s later), a disabled button, Preview (900 ms later) then Validate 300 ms later whose handler throws at once, a 4-click rage on link-looking text.',
    async run(h, page, base) {
      await h.nav('goto', `${base}/settings/profile`, 'open settings');
      await h.wait(900);
      await h.click(sel(page, '[aria-label="Edit avatar"]'), 'open the avatar dialog');
      await h.wait(1000);
      await h.click(sel(page, '.css-sw4tch >> nth=1'), 'click the Plum colour pill (no handler)');
      await h.wait(1300);
      await h.click(sel(page, '[aria-label="Close dialog"]'), 'close the dialog');
      await h.wait(1200);
      await h.click(sel(page, '[aria-label="Edit avatar"]'), 'open the avatar dialog again');
      await h.wait(900);
      await h.click(sel(page, '#avatar-ok'), 'use the colour (dialog closes, toast after 1.2 s)');
      await h.wait(4000);
      await h.click(sel(page, '[aria-label="Copy API key"]'), 'copy the API key (toast after 1.2 s)');
      await h.wait(4000);
      await h.click(sel(page, '#export'), 'export data (fails 1.1 s later)');
      await h.wait(2600);
      await h.click(sel(page, '#delete'), 'press the disabled Delete account button');
      await h.wait(1500);
      await h.click(sel(page, '#preview'), 'preview (card appears 900 ms later)');
      await h.wait(300);
      await h.click(sel(page, '#validate'), 'validate (throws at once)');
      await h.wait(2500);
      await h.rage(sel(page, '.css-l34rn0'), 4, 'rage on "Learn more"');
      await h.wait(2000);
      await h.click(sel(page, 'header h1'), 'click the Settings title (static)');
      await h.wait(1500);
    },
  },
  {
    name: 'settings_billing',
    pageType: 'settings',
    pageTypes: ['settings', 'kanban'],
    description: 'Settings billing: change the plan select, type a promo code, Apply promo has no handler (dead click then a 5-click rage), Download invoice (slow, 1.3 s) once, then again with a typed URL 500 ms later (the invoice never renders; the click must not be credited with the navigation).',
    async run(h, page, base) {
      await h.nav('goto', `${base}/settings/billing`, 'open billing');
      await h.wait(900);
      await h.select(sel(page, '#plan'), 'team', 'choose the Team plan');
      await h.wait(800);
      const promo = sel(page, '#promo');
      await h.click(promo, 'focus promo code');
      await h.type(promo, ['SPRING24'], 'promo code');
      await h.wait(600);
      await h.click(sel(page, '#apply-promo'), 'apply promo (no handler)');
      await h.wait(1700);
      await h.rage(sel(page, '#apply-promo'), 5, 'rage on Apply promo');
      await h.wait(2500);
      await h.click(sel(page, '#invoice'), 'download invoice (answer after 1.3 s)');
      await h.wait(2600);
      await h.click(sel(page, '#price'), 'click the price (static)');
      await h.wait(1200);
      await h.click(sel(page, '#invoice'), 'download invoice again, then leave at once');
      await h.wait(500);
      await h.nav('goto', `${base}/board`, 'type the board URL 500 ms after the click');
      await h.wait(1200);
      await h.click(sel(page, '.css-hd7c0l >> nth=0'), 'click the To do column title (static)');
      await h.wait(1500);
    },
  },
  {
    name: 'board_drag',
    pageType: 'kanban',
    description: 'Kanban board: drag cards between columns with the mouse (pointer events), click a card to open its panel and close it, dead clicks on column titles, add a card by typing and Enter, archive a card via an aria-label icon button.',
    async run(h, page, base) {
      await h.nav('goto', `${base}/board`, 'open the board');
      await h.wait(900);
      await h.drag(page.locator('.kcard', { hasText: 'Fix login redirect' }), sel(page, '#col-doing'), 'drag "Fix login redirect" to Doing');
      await h.wait(1200);
      await h.drag(page.locator('.kcard', { hasText: 'Dark mode' }), sel(page, '#col-done'), 'drag "Dark mode" to Done');
      await h.wait(1200);
      await h.click(page.locator('.kcard .css-t1tl3x', { hasText: 'Audit API keys' }), 'open the "Audit API keys" card');
      await h.wait(1200);
      await h.click(sel(page, '#close-panel'), 'close the card panel');
      await h.wait(1000);
      await h.click(sel(page, '#col-doing .css-hd7c0l'), 'click the Doing column title (static)');
      await h.wait(1300);
      await h.click(sel(page, '#col-done [data-add]'), 'add a card to Done');
      await h.wait(500);
      await h.type(sel(page, '#col-done .add-input'), ['Ship v2'], 'card title');
      await h.press('Enter', 'add the card with Enter');
      await h.wait(1200);
      await h.click(page.locator('.kcard', { hasText: 'Rotate certificates' }).locator('[aria-label="Archive card"]'), 'archive "Rotate certificates"');
      await h.wait(1400);
      await h.click(sel(page, '#col-todo'), 'click empty space in the To do column');
      await h.wait(1200);
      await h.drag(page.locator('.kcard', { hasText: 'Ship v2' }), sel(page, '#col-todo'), 'drag "Ship v2" to To do');
      await h.wait(1200);
      await h.click(page.locator('.kcard .css-t1tl3x', { hasText: 'Billing webhooks' }), 'open the "Billing webhooks" card');
      await h.wait(1000);
      await h.click(sel(page, '#panel h2'), 'click the panel title (static)');
      await h.wait(1200);
      await h.click(sel(page, '#close-panel'), 'close the card panel');
      await h.wait(1200);
    },
  },
  {
    name: 'board_shadow',
    pageType: 'kanban',
    pageTypes: ['kanban', 'settings'],
    description: 'Kanban board: filter buttons inside a shadow root (Mine/All), a dead help text inside the shadow root, Sync answered 500 + console.error, a 5-click rage on a column title, the Settings link then a quick browser Back (full loads).',
    async run(h, page, base) {
      await h.nav('goto', `${base}/board`, 'open the board');
      await h.wait(900);
      await h.click(sel(page, 'kb-filter #mine'), 'filter: Mine (shadow DOM)');
      await h.wait(1200);
      await h.click(sel(page, 'kb-filter .css-h3lp0x'), 'click "What is this?" inside the shadow root (no handler)');
      await h.wait(1300);
      await h.click(sel(page, 'kb-filter #all'), 'filter: All (shadow DOM)');
      await h.wait(1200);
      await h.click(sel(page, '#sync'), 'sync (HTTP 500 after 250 ms, console.error)');
      await h.wait(2200);
      await h.rage(sel(page, '#col-done .css-hd7c0l'), 5, 'rage on the Done column title');
      await h.wait(2200);
      await h.click(page.locator('.kcard .css-t1tl3x', { hasText: 'Onboarding email' }), 'open the "Onboarding email" card');
      await h.wait(1100);
      await h.click(sel(page, '#close-panel'), 'close the card panel');
      await h.wait(1000);
      await h.click(sel(page, '#to-settings'), 'open settings (full load)');
      await h.wait(1000);
      await h.nav('back', null, 'quick browser back to the board (full load)');
      await h.wait(1400);
      await h.click(sel(page, 'kb-filter #mine'), 'filter: Mine again');
      await h.wait(1200);
    },
  },
  {
    name: 'feed_scroll',
    pageType: 'feed',
    description: 'Infinite-scroll feed (SPA): wheel gestures, one reversing direction mid-gesture, pages loading on scroll, likes via aria-label icon buttons, dead clicks on images, open a post (pushState) and go browser-Back within 1 s, open another and use the page\'s own Back button (history.back).',
    async run(h, page, base) {
      await h.nav('goto', `${base}/feed`, 'open the feed');
      await h.wait(1200);
      await h.click(sel(page, '#post-1 [aria-label="Like"]'), 'like post 1');
      await h.wait(1000);
      await h.click(sel(page, '#post-1 img'), 'click the photo of post 1 (no handler)');
      await h.wait(1400);
      await h.wheel([120, 120, 120, 120], 'scroll down');
      await h.wait(700);
      await h.wheel([120, 120, 120, 120, 120, 120], 'scroll down (loads more)');
      await h.wait(1200);
      await h.wheel([120, 120, 120, -120, -120], 'scroll down then back up in one gesture');
      await h.wait(900);
      await h.click(page.locator('article [aria-label="Like"]').nth(3), 'like the fourth post');
      await h.wait(1200);
      await h.click(page.locator('article img').nth(3), 'click the fourth photo (no handler)');
      await h.wait(1200);
      await h.click(page.locator('article h2 a').nth(4), 'open the fifth post (pushState)');
      await h.wait(700);
      await h.nav('back', null, 'quick browser back to the feed (popstate)');
      await h.wait(1500);
      await h.click(sel(page, 'article h2 a'), 'open the first post (pushState)');
      await h.wait(1500);
      await h.click(sel(page, '#detail-title'), 'click the post title (static)');
      await h.wait(1200);
      await h.click(sel(page, '#back-to-feed'), 'the page\'s own Back button (history.back)');
      await h.wait(1500);
      await h.click(sel(page, '.css-s3ct10'), 'click the feed heading (static)');
      await h.wait(1200);
    },
  },
  {
    name: 'feed_share',
    pageType: 'feed',
    pageTypes: ['feed', 'search'],
    description: 'Feed: Share fails 400 ms after the click (uncaught TypeError), a like followed 250 ms later by a Share on another post, dead clicks on timestamps, open a post then browser Back 300 ms after the click, Forward and Back again, then the Search link (full load).',
    async run(h, page, base) {
      await h.nav('goto', `${base}/feed`, 'open the feed');
      await h.wait(1200);
      await h.click(sel(page, '#post-2 .css-5h4r3z'), 'share post 2 (fails 400 ms later)');
      await h.wait(1800);
      await h.click(sel(page, '#post-2 .css-t1m300'), 'click the timestamp (static)');
      await h.wait(1200);
      await h.click(sel(page, '#post-3 [aria-label="Like"]'), 'like post 3');
      await h.wait(250);
      await h.click(sel(page, '#post-3 .css-5h4r3z'), 'share post 3 right after (fails 400 ms later)');
      await h.wait(1800);
      await h.click(sel(page, '#post-3 [aria-label="Like"]'), 'unlike post 3');
      await h.wait(1200);
      await h.click(sel(page, '#post-2 h2 a'), 'open post 2 (pushState)');
      await h.wait(300);
      await h.nav('back', null, 'browser back 300 ms after the click (popstate)');
      await h.wait(1400);
      await h.nav('forward', null, 'browser forward to post 2 (popstate)');
      await h.wait(1600);
      await h.nav('back', null, 'browser back to the feed (popstate)');
      await h.wait(1500);
      await h.click(sel(page, '#online'), 'click the online counter (ambient, no handler)');
      await h.wait(1300);
      await h.click(sel(page, '#to-search'), 'open search (full load)');
      await h.wait(1500);
      await h.click(sel(page, 'h2.css-p0pu1r'), 'click the Popular searches heading (static)');
      await h.wait(1200);
    },
  },
  {
    name: 'search_typeahead',
    pageType: 'search',
    description: 'Typeahead with a 300 ms debounce: type, pause, 3 Backspaces, retype; pick a suggestion (scripted full load), star it, quick browser Back (full load); a chip that fills the box, a chip without handler, a query answered 500, then Enter submits the search form (full load) and a result link is followed.',
    async run(h, page, base) {
      await h.nav('goto', `${base}/search`, 'open search');
      await h.wait(900);
      const q = sel(page, '#q');
      await h.click(q, 'focus the search box');
      await h.type(q, ['dia', { pause: 800 }, { backspace: 3 }, 'tab'], 'query with a correction');
      await h.wait(1200);
      await h.click(page.locator('#results [role=option]', { hasText: 'Tabs' }), 'pick the "Tabs" suggestion (full load)');
      await h.wait(1000);
      await h.click(sel(page, '#star'), 'star the component');
      await h.wait(700);
      await h.nav('back', null, 'quick browser back to search (full load)');
      await h.wait(1400);
      await h.click(sel(page, '[data-q=dialog]'), 'popular search chip "dialog"');
      await h.wait(1500);
      await h.click(sel(page, '.css-ch1p01'), 'chip "tooltip" (no handler)');
      await h.wait(1300);
      await h.click(sel(page, '.css-g4ll3y'), 'click the gallery image (no handler)');
      await h.wait(1300);
      const q2 = sel(page, '#q');
      await h.click(q2, 'focus the search box');
      await h.type(q2, [{ backspace: 6 }, 'zzz'], 'a query the index cannot answer (HTTP 500)');
      await h.wait(1500);
      await h.type(q2, [{ backspace: 3 }, 'button'], 'query "button"');
      await h.wait(700);
      await h.press('Enter', 'submit the search with Enter (full load)');
      await h.wait(1500);
      await h.click(page.locator('#list a').first(), 'open the first result (full load)');
      await h.wait(1500);
      await h.click(sel(page, '#name'), 'click the component name (static)');
      await h.wait(1200);
    },
  },
  {
    name: 'docs_iframe',
    pageType: 'docs',
    description: 'Docs page with a same-origin iframe widget: +1 clicked three times (repeat clicks), a Report button inside the iframe that logs console.error, copy code (aria-label icon), dead clicks on an image and paragraph, the helpful buttons, Next (full load), a dead click then Back 600 ms later (full load), Copy code then Forward 500 ms later (full load).',
    async run(h, page, base) {
      await h.nav('goto', `${base}/docs`, 'open the docs');
      await h.wait(1200);
      await h.click(sel(page, 'article p'), 'click the intro paragraph (static)');
      await h.wait(1200);
      await h.click(sel(page, '[aria-label="Copy code"]'), 'copy the install command');
      await h.wait(1200);
      await h.click(sel(page, '.css-d14gr4'), 'click the architecture diagram (no handler)');
      await h.wait(1200);
      const w = page.frameLocator('#widget');
      for (let i = 0; i < 3; i++) {
        await h.click(w.locator('#inc'), `+1 in the widget (${i + 1}/3)`);
        await h.wait(h.between(350, 600));
      }
      await h.wait(1200);
      await h.click(w.locator('.css-w1dg3t'), 'click the widget caption (static, inside the iframe)');
      await h.wait(1200);
      await h.click(w.locator('#report'), 'report a bug from the widget (console.error)');
      await h.wait(1600);
      await h.click(sel(page, '#yes'), 'this page was helpful');
      await h.wait(1200);
      await h.click(sel(page, '#next'), 'next page (full load)');
      await h.wait(1300);
      await h.click(sel(page, '.css-n0t3x1'), 'click the TLS note (static)');
      await h.wait(600);
      await h.nav('back', null, 'browser back 600 ms after the click (full load)');
      await h.wait(1300);
      await h.click(sel(page, '[aria-label="Copy code"]'), 'copy the install command again');
      await h.wait(500);
      await h.nav('forward', null, 'browser forward 500 ms after the click (full load)');
      await h.wait(1300);
      await h.click(sel(page, 'article h2'), 'click the page heading (static)');
      await h.wait(1200);
    },
  },
  {
    name: 'docs_abandon',
    pageType: 'docs',
    pageTypes: ['docs', 'feed'],
    description: 'Docs feedback form: fill the email (with a correction) and a comment, then leave by the Next link without sending (form abandon); on the next page a dead click, a 3-click burst on static text, back via Previous, Helpful then a typed URL to the feed 400 ms later, a dead click on the feed.',
    async run(h, page, base) {
      await h.nav('goto', `${base}/docs`, 'open the docs');
      await h.wait(1000);
      await h.wheel([120, 120, 120, 120, 120], 'scroll to the feedback form');
      await h.wait(800);
      const email = sel(page, '#fb-email');
      await h.click(email, 'focus email');
      await h.type(email, ['sam@exampel', { pause: 600 }, { backspace: 4 }, 'mple.org'], 'email with a correction');
      await h.wait(500);
      const text = sel(page, '#fb-text');
      await h.click(text, 'focus comment');
      await h.type(text, ['The install step is unclear'], 'comment');
      await h.wait(900);
      await h.click(sel(page, '#no'), 'this page was not helpful');
      await h.wait(1300);
      await h.click(sel(page, '#next'), 'leave by the Next link without sending (full load)');
      await h.wait(1500);
      await h.click(sel(page, 'article p'), 'click the paragraph (static)');
      await h.wait(1300);
      await h.rage(sel(page, '.css-n0t3x1'), 3, 'three quick clicks on the TLS note');
      await h.wait(1800);
      await h.click(sel(page, '#prev'), 'previous page link');
      await h.wait(1500);
      await h.click(sel(page, '#yes'), 'this page was helpful');
      await h.wait(400);
      await h.nav('goto', `${base}/feed`, 'type the feed URL 400 ms after the click');
      await h.wait(1500);
      await h.click(sel(page, 'article img'), 'click the first photo (no handler)');
      await h.wait(1300);
    },
  },
  {
    name: 'feed_browse',
    pageType: 'feed',
    description: 'Feed browsing with many clicks: likes on several posts, a 4-click burst on a Like button that reacts every time (rage on a live control), dead clicks on photos and timestamps, posts opened and left by the page\'s own Back button, a slow scroll between.',
    async run(h, page, base) {
      await h.nav('goto', `${base}/feed`, 'open the feed');
      await h.wait(1200);
      for (const id of [1, 2, 3]) {
        await h.click(sel(page, `#post-${id} [aria-label="Like"]`), `like post ${id}`);
        await h.wait(h.between(700, 1100));
        await h.click(sel(page, `#post-${id} img`), `click the photo of post ${id} (no handler)`);
        await h.wait(h.between(900, 1300));
      }
      await h.rage(sel(page, '#post-2 [aria-label="Like"]'), 4, 'like/unlike post 2 rapidly');
      await h.wait(1800);
      await h.click(sel(page, '#post-1 .css-t1m300'), 'click the timestamp of post 1 (static)');
      await h.wait(1200);
      await h.click(sel(page, '#post-1 h2 a'), 'open post 1 (pushState)');
      await h.wait(1400);
      await h.click(sel(page, '#back-to-feed'), 'the page\'s own Back button');
      await h.wait(1500);
      await h.wheel([100, 100, 100, 100, 100, 100], 'scroll down');
      await h.wait(1200);
      for (const n of [3, 4]) {
        await h.click(page.locator('article [aria-label="Like"]').nth(n), `like the post at position ${n + 1}`);
        await h.wait(h.between(800, 1100));
        await h.click(page.locator('article .css-t1m300').nth(n), `click the timestamp at position ${n + 1} (static)`);
        await h.wait(h.between(900, 1200));
      }
      await h.click(page.locator('article h2 a').nth(4), 'open the post at position 5 (pushState)');
      await h.wait(1300);
      await h.click(sel(page, '#detail-title'), 'click the post title (static)');
      await h.wait(1200);
      await h.click(sel(page, '#back-to-feed'), 'the page\'s own Back button');
      await h.wait(1500);
      await h.click(sel(page, 'header h1'), 'click the Feed title (static)');
      await h.wait(1300);
      await h.click(sel(page, '#to-search'), 'open search (full load)');
      await h.wait(1400);
      await h.click(sel(page, '[data-q=button]'), 'popular search chip "button"');
      await h.wait(1500);
      await h.click(page.locator('#results [role=option]').first(), 'pick the first suggestion (full load)');
      await h.wait(1500);
      await h.click(sel(page, '#star'), 'star the component');
      await h.wait(1300);
    },
  },
  {
    name: 'ci_smoke',
    pageType: 'settings',
    smoke: true,
    description: 'CI subset (not part of the committed corpus): open settings, save, a dead click on a heading, a label click, an error from Validate.',
    tail: 1500,
    async run(h, page, base) {
      await h.nav('goto', `${base}/settings/profile`, 'open settings');
      await h.wait(600);
      await h.click(sel(page, '#save'), 'save (its toast comes 1.2 s later, inside this window)');
      await h.wait(1800);
      await h.click(sel(page, '.css-d4ng3r'), 'click the Danger zone heading (static)');
      await h.wait(900);
      await h.click(sel(page, '#validate'), 'validate (throws at once)');
      await h.wait(900);
      await h.click(sel(page, '[data-tab=notifications]'), 'open the Notifications tab');
      await h.wait(700);
      await h.click(sel(page, '#incidents-label'), 'click the label of the incidents checkbox');
      await h.wait(800);
    },
  },
];

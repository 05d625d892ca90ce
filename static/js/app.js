// Small progressive enhancements. Loaded with the CSP nonce; no inline handlers anywhere.
"use strict";

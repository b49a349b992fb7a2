/** Run before ava (`npm test`): installs Debian's chromium when it is missing, or says what to install. */
import { ensureChromium } from "@flatfit/testing/chromium";

ensureChromium();

export { startTestIdp, TEST_USERS, type TestIdp, type TestUser, type TestClient } from './idp.js';
export { HttpBrowser, signInThroughIdp, type Hop } from './http-browser.js';

// The API's schemas live in @kontroler/api-schema (the client derives its types from them); the
// routes import them from here.
export * from '@kontroler/api-schema';

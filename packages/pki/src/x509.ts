// The one place that loads @peculiar/x509: polyfill first, then Node's WebCrypto as its provider.
import './reflect-polyfill';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };

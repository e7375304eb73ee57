import { ADMIN_ROLES } from '@consentry/identity';
import { DynamicModule, RequestMethod, Type } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';

import { AdminConsoleSessionGuard } from '../admin-console/admin-console-session.guard.js';
import { CONSOLE_SECTIONS } from '../admin-console/admin-console.views.js';
import { ApiDependencies, AppModule } from '../app.module.js';
import { isAdminPath } from '../http/admin-network.hook.js';
import { adminAccessOf, AdminRouteAccess } from './admin-access.js';
import { AdminAuthGuard } from './admin-auth.guard.js';

interface AdminRoute {
  route: string;
  access: AdminRouteAccess | undefined;
  guards: unknown[];
}

type ModuleRef = Type | DynamicModule;

function isDynamic(module: ModuleRef): module is DynamicModule {
  return 'module' in module;
}

function joinPath(...parts: string[]): string {
  return `/${parts.flatMap((part) => part.split('/')).filter(Boolean).join('/')}`;
}

function pathsOf(target: object): string[] {
  const path: unknown = Reflect.getMetadata(PATH_METADATA, target);
  return Array.isArray(path) ? path.map(String) : [typeof path === 'string' ? path : '/'];
}

/** Every controller the app mounts, found as Nest's router finds them: down the modules' imports. */
function controllersOf(root: ModuleRef, seen = new Set<unknown>()): Type[] {
  const moduleClass = isDynamic(root) ? root.module : root;
  if (seen.has(root)) return [];
  seen.add(root);
  const controllers: Type[] = [...((Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, moduleClass) as Type[] | undefined) ?? []), ...(isDynamic(root) ? (root.controllers ?? []) : [])];
  const imports: ModuleRef[] = [...((Reflect.getMetadata(MODULE_METADATA.IMPORTS, moduleClass) as ModuleRef[] | undefined) ?? []), ...(isDynamic(root) ? ((root.imports ?? []) as ModuleRef[]) : [])];
  return [...controllers, ...imports.flatMap((child) => controllersOf(child, seen))];
}

/** The admin API's and the admin console's routes, with the access each declares and its guards. */
function adminRoutes(): AdminRoute[] {
  const reflector = new Reflector();
  const routes: AdminRoute[] = [];
  // The dependencies are only handed to providers, which are never built here.
  for (const controller of new Set(controllersOf(AppModule.forRoot({} as ApiDependencies)))) {
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const guards: unknown[] = [...((Reflect.getMetadata(GUARDS_METADATA, controller) as unknown[] | undefined) ?? []), ...((Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[] | undefined) ?? [])];
      for (const base of pathsOf(controller)) {
        for (const path of pathsOf(handler)) {
          const full = joinPath(base, path);
          if (isAdminPath(full)) routes.push({ route: `${method} ${full}`, access: adminAccessOf(reflector, { getHandler: () => handler, getClass: () => controller }), guards });
        }
      }
    }
  }
  return routes.sort((a, b) => a.route.localeCompare(b.route));
}

// Which role each admin route needs: changing this table is changing who may do what (docs/threat-model.md T15a).
const EXPECTED: Record<string, AdminRouteAccess> = {
  'POST /admin/sessions': 'public',
  'DELETE /admin/sessions/current': 'any-admin',
  'GET /admin/audit-events': 'auditor',
  'GET /admin/audit-events/export': 'auditor',
  'POST /admin/audit-chain/verify': 'auditor',
  'GET /admin/payments': 'payment-reviewer',
  'GET /admin/payments/:PaymentId': 'payment-reviewer',
  'GET /admin/payment-reviews': 'payment-reviewer',
  'POST /admin/payment-reviews/:paymentId/release': 'payment-reviewer',
  'POST /admin/payment-reviews/:paymentId/reject': 'payment-reviewer',
  'GET /admin/tpps': 'tpp-manager',
  'POST /admin/tpps/:clientId/suspend': 'tpp-manager',
  'POST /admin/tpps/:clientId/reinstate': 'tpp-manager',
  'POST /admin/ledger/accounts/:accountId/close': 'ledger-operator',
  'POST /admin/ledger/accounts/:accountId/identification': 'ledger-operator',
  'GET /admin-console': 'any-admin',
  'GET /admin-console/assets/pages.css': 'public',
  'GET /admin-console/login': 'public',
  'POST /admin-console/login': 'public',
  'POST /admin-console/logout': 'any-admin',
  'GET /admin-console/events': 'auditor',
  'POST /admin-console/events/export': 'auditor',
  'POST /admin-console/audit-chain/verify': 'auditor',
  'GET /admin-console/payments': 'payment-reviewer',
  'GET /admin-console/payments/:PaymentId': 'payment-reviewer',
  'GET /admin-console/payment-reviews': 'payment-reviewer',
  'POST /admin-console/payment-reviews/:paymentId/:action': 'payment-reviewer',
};

describe('admin routes and their roles', () => {
  const routes = adminRoutes();

  it('finds the admin routes the app mounts', () => {
    expect(routes.length).toBeGreaterThanOrEqual(Object.keys(EXPECTED).length);
  });

  it('has every admin API route and console page declare who may use it (@AdminAccess)', () => {
    expect(routes.filter((r) => r.access === undefined).map((r) => r.route)).toEqual([]);
  });

  it('gives each admin route the role of the table, and no route besides', () => {
    expect(Object.fromEntries(routes.map((r) => [r.route, r.access]))).toEqual(EXPECTED);
    for (const access of Object.values(EXPECTED)) expect(['public', 'any-admin', ...ADMIN_ROLES]).toContain(access);
  });

  it('puts every route that is not public behind its surface’s admin guard, and no public one', () => {
    for (const { route, access, guards } of routes) {
      const guard = route.split(' ')[1]!.startsWith('/admin-console') ? AdminConsoleSessionGuard : AdminAuthGuard;
      expect({ route, guarded: guards.includes(guard) }).toEqual({ route, guarded: access !== 'public' });
    }
  });

  it('links a console section only for the role its page needs', () => {
    for (const section of CONSOLE_SECTIONS) expect(EXPECTED[`GET /admin-console/${section.path}`]).toBe(section.role);
  });
});
